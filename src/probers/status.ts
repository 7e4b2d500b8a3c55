// Which HTTP statuses make a probe ok. By default any: cloudflared proxies a 503 as readily as a 200, so any
// answer proves the origin is reachable; a target may narrow it (e.g. 200-399 for a health endpoint).

/** An inclusive range of HTTP status codes that count as a healthy answer. */
export interface StatusRange {
  readonly min: number;
  readonly max: number;
}

/** Any status cloudflared would proxy: the origin answered. */
export const ANY_STATUS: readonly StatusRange[] = [{ min: 100, max: 599 }];

/** True when `status` falls in one of the ranges. */
export function statusAllowed(status: number, ranges: readonly StatusRange[] = ANY_STATUS): boolean {
  return ranges.some((r) => status >= r.min && status <= r.max);
}
