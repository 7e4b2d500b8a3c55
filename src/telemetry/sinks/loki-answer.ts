// What a Loki answer to a push means for the records in it, read from the status and Loki's own words (grafana/loki
// pkg/validation/validate.go, pkg/chunkenc/interface.go). Pure: the shipper acts on the verdict.
//   ok            2xx: every record was taken.
//   rate_limited  429 for the tenant's or a stream's ingestion rate: nothing was stored; a smaller push fits the
//                 bucket sooner, and one larger than the burst never fits, so the shipper splits and waits.
//   retry         5xx, 408, other 429s (stream limit): a passing trouble; the same push is sent again.
//   setup         the sink's settings, not the records (credentials, tenant, URL, stream labels): every push would
//                 get the same answer, so it is an outage with a cause and the records wait in the spool.
//   reject        the records' content (a line too long, too old, too far behind): Loki stored the valid entries of
//                 the push and refused the others, so the shipper isolates those and quarantines them.

export type LokiAnswer =
  | { readonly kind: 'ok' }
  | { readonly kind: 'rate_limited'; readonly error: string; readonly limitBytesPerSecond?: number; readonly retryAfterMs?: number }
  | { readonly kind: 'retry'; readonly error: string; readonly retryAfterMs?: number }
  | { readonly kind: 'setup'; readonly error: string; readonly problem: string }
  | { readonly kind: 'reject'; readonly status: number; readonly text: string };

/** Answers that reject what was pushed (a line too long, too old, a bad label), not the sink's setup. */
const CONTENT_REJECTIONS: ReadonlySet<number> = new Set([400, 413, 422]);

/** Loki's words for a refused label set: every record of the stream gets the same answer. */
const LABEL_ERRORS = /label names; limit|label name too long|label value too long|duplicate label name|error parsing labels|at least one label pair is required|missing required labels/i;

const RATE_LIMITED = /ingestion rate limit exceeded|per stream rate limit exceeded/i;

/** The first sentence-sized part of Loki's answer: enough to name the reason, short enough for a log line. */
export const firstLine = (text: string): string => (text.trim().split(/\r?\n/)[0] ?? '').slice(0, 300);

/** The tenant's limit in bytes per second from a rate-limit answer (`limit: 524288 bytes/sec`), when it says. */
export function rateLimitOf(text: string): number | undefined {
  const m = /\(limit: (\d+) bytes\/sec\)/.exec(text);
  const n = m?.[1] === undefined ? NaN : Number(m[1]);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Why Loki refuses every push, in words with the setting to check. */
function setupProblem(status: number, text: string, url: string): string {
  const said = firstLine(text);
  if (LABEL_ERRORS.test(text)) {
    return `Loki refuses tunnelwatch's stream labels (HTTP ${String(status)}: ${said}): trim logs.loki.labels, or raise the label limits in Loki's limits_config`;
  }
  switch (status) {
    case 401:
      return /no org id/i.test(text)
        ? 'Loki runs multi-tenant and the push named no tenant (HTTP 401: no org id): set logs.loki.tenant'
        : 'Loki rejected the credentials (HTTP 401): check logs.loki.username and logs.loki.password';
    case 403:
      return 'Loki refused access (HTTP 403): check the credentials and logs.loki.tenant';
    case 404:
    case 405:
      return `Loki has no push endpoint at ${url} (HTTP ${String(status)}): check logs.loki.url, to which tunnelwatch appends loki/api/v1/push`;
    default:
      return `Loki answered HTTP ${String(status)} to every push${said === '' ? '' : ` (${said})`}: check logs.loki`;
  }
}

/**
 * The verdict on one push answer. `text` is Loki's body, already redacted by the caller; `retryAfterMs` the parsed
 * Retry-After header, if any.
 */
export function readLokiAnswer(status: number, text: string, url: string, retryAfterMs?: number): LokiAnswer {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const error = `HTTP ${String(status)}: ${firstLine(text)}`;
  const after = retryAfterMs === undefined ? {} : { retryAfterMs };
  if (status === 429 && RATE_LIMITED.test(text)) {
    const limit = rateLimitOf(text);
    return { kind: 'rate_limited', error, ...after, ...(limit === undefined ? {} : { limitBytesPerSecond: limit }) };
  }
  if (status === 429 || status === 408 || status >= 500) return { kind: 'retry', error, ...after };
  if (CONTENT_REJECTIONS.has(status) && !LABEL_ERRORS.test(text)) return { kind: 'reject', status, text };
  const problem = setupProblem(status, text, url);
  return { kind: 'setup', error: problem, problem };
}
