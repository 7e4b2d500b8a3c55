// Redaction applied to every record before any sink sees it. Two layers: the exact secret values tunnelwatch
// was configured with (tunnel token, API token, Loki password, status token), and shapes that are secrets
// whoever wrote them (JWTs and base64 JSON blobs such as tunnel tokens, Authorization headers, key=value
// pairs named like secrets, passwords in URLs). A cheap pre-check keeps the common clean line fast.

const MARK = '<redacted>';

// Fields whose whole value is a secret, whatever it looks like.
const SECRET_KEY = /^(?:authorization|proxy-authorization|x-auth-key|cf-access-client-secret|token|tunnel_?token|api_?token|api_?key|secret|tunnel_?secret|client_?secret|password|passwd|credentials?|cookie|set-cookie)$/i;

const PATTERNS: readonly [RegExp, string | ((...groups: string[]) => string)][] = [
  // JWTs (three dot-separated base64url parts) and base64-encoded JSON objects (cloudflared tunnel tokens,
  // credentials files) both start with the encoding of `{"`.
  [/\beyJ[A-Za-z0-9+/_=-]{12,}(?:\.[A-Za-z0-9+/_=-]*)*/g, MARK],
  // Authorization: Bearer x / Basic x / a bare value, in headers, JSON or key=value text.
  [/((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|token)\s+)?[^\s"',;}]+/gi, (_m, key: string, scheme?: string) => `${key}${scheme === undefined ? '' : `${scheme} `}${MARK}`],
  // key=value or "key":"value" pairs whose key names a secret.
  [/((?:api[_-]?key|api[_-]?token|x-auth-key|tunnel[_-]?secret|client[_-]?secret|secret|token|password|passwd)["']?\s*[:=]\s*["']?)[^\s"',;&}]{4,}/gi, `$1${MARK}`],
  // user:password@ in URLs.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${MARK}@`],
];

// Two tests rather than one alternation: with the URL branch in it, the engine could not skip ahead on the words'
// letters and the check took 1.6 times as long on a typical record.
const SUSPECT_WORD = /eyJ|uthoriz|token|secret|passw|api.?key|auth-key|cookie|credential/i;
const SUSPECT_URL = /:\/\/[^\s/]*@/;
const suspect = (s: string): boolean => SUSPECT_WORD.test(s) || SUSPECT_URL.test(s);

export class Redactor {
  readonly #secrets: readonly string[];

  /** `secrets`: exact values that must never appear; values shorter than 6 characters are ignored (too common). */
  constructor(secrets: readonly (string | undefined)[] = []) {
    this.#secrets = [...new Set(secrets.filter((s): s is string => s !== undefined && s.length >= 6))].sort((a, b) => b.length - a.length);
  }

  /**
   * Whether `serialised` (a record's JSON) could hold anything to redact. False for almost every line, which
   * then skips the walk over the record; true also for key names such as "token", so fields named like
   * secrets are masked whatever their value.
   */
  mayNeed(serialised: string): boolean {
    return suspect(serialised) || this.#secrets.some((secret) => serialised.includes(secret));
  }

  text(s: string): string {
    let out = s;
    for (const secret of this.#secrets) if (out.includes(secret)) out = out.split(secret).join(MARK);
    if (!suspect(out)) return out;
    for (const [pattern, replacement] of PATTERNS) {
      out = typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement);
    }
    return out;
  }

  /** A copy of `value` with every string redacted and every secret-named field masked; unchanged parts are shared. */
  value<T>(value: T): T {
    return this.#walk(value, 0) as T;
  }

  #walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.text(value);
    if (value === null || typeof value !== 'object' || depth > 32) return value;
    if (Array.isArray(value)) {
      const out = value.map((v: unknown) => this.#walk(v, depth + 1));
      return out.some((r, i) => r !== value[i]) ? out : value;
    }
    let out: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(value)) {
      const r = SECRET_KEY.test(k) && v !== null && v !== '' ? MARK : this.#walk(v, depth + 1);
      if (r !== v) {
        out ??= { ...(value as Record<string, unknown>) };
        out[k] = r;
      }
    }
    return out ?? value;
  }
}
