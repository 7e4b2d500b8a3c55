// What cloudflared's own metrics server says at the moment of an incident: /ready, /metrics, /config and the
// /diag endpoints that `cloudflared tunnel diag` reads (absent from older versions: their 404 is kept as it came).
// Each answer is read up to a bound (the rest is left unread) and within a deadline; a failure is kept as its error,
// never thrown.
import { requestWhole } from '../base/index.js';
import type { Fetched } from './bundle.js';

export const CONNECTOR_PATHS = ['/ready', '/metrics', '/config', '/diag/tunnel', '/diag/configuration', '/diag/system'] as const;

const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return `${error.message}${typeof code === 'string' ? ` (${code})` : ''}`;
};

/** Every CONNECTOR_PATHS answer of cloudflared at `address` (host:port); all failed when there is none yet. */
export async function gatherConnector(address: string | undefined, timeoutMs: number, maxBytes: number): Promise<Record<string, Fetched>> {
  if (address === undefined) {
    return Object.fromEntries(CONNECTOR_PATHS.map((p) => [p, { error: 'cloudflared has not announced its metrics address (not running, or not started yet)' }]));
  }
  const answers = await Promise.all(
    CONNECTOR_PATHS.map(async (path): Promise<[string, Fetched]> => {
      try {
        // node:http, not fetch: fetch would load undici into the sidecar for good (see base/http-request.ts).
        const res = await requestWhole(new URL(`http://${address}${path}`), { signal: AbortSignal.timeout(timeoutMs), maxBytes, tooLarge: 'keep-head' });
        const body = res.body.toString('utf8');
        return [path, { status: res.status, body: res.cut ? `${body}\n… more than ${String(maxBytes)} bytes, not read` : body }];
      } catch (error) {
        return [path, { error: describe(error) }];
      }
    }),
  );
  return Object.fromEntries(answers);
}
