// What cloudflared's own metrics server says at the moment of an incident: /ready, /metrics, /config and the
// /diag endpoints that `cloudflared tunnel diag` reads (absent from older versions: their 404 is kept as it came).
// Each answer is read up to a bound (the rest is left unread) and within a deadline; a failure is kept as its error,
// never thrown.
import type { Fetched } from './bundle.js';

export const CONNECTOR_PATHS = ['/ready', '/metrics', '/config', '/diag/tunnel', '/diag/configuration', '/diag/system'] as const;

/** The first `max` bytes of an answer's body; the rest is not read (the bundle says where it was cut). */
async function head(res: Response, max: number): Promise<string> {
  if (res.body === null) return '';
  const chunks: Buffer[] = [];
  let seen = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    chunks.push(Buffer.from(chunk));
    seen += chunk.byteLength;
    // Leaving the loop cancels the rest of the body; one byte past the bound is what says there was more.
    if (seen > max) break;
  }
  const bytes = Buffer.concat(chunks);
  return bytes.length > max ? `${bytes.subarray(0, max).toString('utf8')}\n… more than ${String(max)} bytes, not read` : bytes.toString('utf8');
}

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
        const res = await fetch(`http://${address}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
        return [path, { status: res.status, body: await head(res, maxBytes) }];
      } catch (error) {
        return [path, { error: describe(error) }];
      }
    }),
  );
  return Object.fromEntries(answers);
}
