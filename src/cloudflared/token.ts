// cloudflared's tunnel token (cmd/cloudflared/tunnel/subcommands.go ParseToken): standard base64 of the JSON
// {"a": account tag, "t": tunnel UUID, "s": base64 secret, "e": optional endpoint}. Pure; the secret parts are
// returned in a Secret so they never print.
import { Secret } from '../base/index.js';

/** The parts of a tunnel token. */
export interface TunnelToken {
  readonly accountTag: string;
  readonly tunnelId: string;
  readonly secret: Secret;
  /** `fed` routes to Cloudflare's FedRAMP endpoints; absent for the commercial edge. */
  readonly endpoint?: string;
}

// Go's StdEncoding: padded, no URL-safe alphabet; DecodeString skips CR and LF.
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// google/uuid UnmarshalText accepts the 36-character form, 32 hex digits, {braced} and urn:uuid: forms.
const UUID_FORMS = [
  /^([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})$/,
  /^\{([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}$/,
  /^urn:uuid:([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})$/i,
  /^([0-9a-fA-F]{8})([0-9a-fA-F]{4})([0-9a-fA-F]{4})([0-9a-fA-F]{4})([0-9a-fA-F]{12})$/,
];

function decodeStdBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[\r\n]/g, '');
  return STD_BASE64.test(compact) ? Buffer.from(compact, 'base64') : undefined;
}

/** Normalises any UUID form google/uuid accepts to lower-case 8-4-4-4-12; undefined when it is not one. */
export function normaliseUuid(text: string): string | undefined {
  for (const form of UUID_FORMS) {
    const m = form.exec(text);
    if (m) return m.slice(1, 6).join('-').toLowerCase();
  }
  return undefined;
}

/**
 * Parses a tunnel token as cloudflared does. On failure, the reason never contains the token. Like
 * cloudflared, missing keys are not errors (they decode to empty values); a wrong type or a bad UUID is.
 */
export function parseTunnelToken(token: string): { ok: true; token: TunnelToken } | { ok: false; reason: string } {
  const bytes = decodeStdBase64(token);
  if (!bytes) return { ok: false, reason: 'the token is not standard base64' };
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the decoded token is not JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'the decoded token is not a JSON object' };
  const { a = '', t, s = '', e } = json as Record<string, unknown>;
  if (typeof a !== 'string' || typeof s !== 'string' || (e !== undefined && typeof e !== 'string')) {
    return { ok: false, reason: 'a token field has the wrong type' };
  }
  const tunnelId = t === undefined ? '00000000-0000-0000-0000-000000000000' : typeof t === 'string' ? normaliseUuid(t) : undefined;
  if (tunnelId === undefined) return { ok: false, reason: 'the token\'s tunnel id ("t") is not a UUID' };
  const secret = decodeStdBase64(s);
  if (!secret) return { ok: false, reason: 'the token\'s secret ("s") is not base64' };
  return { ok: true, token: { accountTag: a, tunnelId, secret: new Secret(s), ...(e ? { endpoint: e } : {}) } };
}

/** Builds a token the way the Cloudflare dashboard issues them (used by the emulators and tests). */
export function encodeTunnelToken(parts: { accountTag: string; tunnelId: string; secret: Buffer; endpoint?: string }): string {
  const body: Record<string, string> = { a: parts.accountTag, t: parts.tunnelId, s: parts.secret.toString('base64') };
  if (parts.endpoint !== undefined) body.e = parts.endpoint;
  return Buffer.from(JSON.stringify(body)).toString('base64');
}
