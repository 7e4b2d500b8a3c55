// GET over node:http on one keep-alive agent, for the servers polled every few seconds on this host (the
// connector's /ready, /metrics and /config). A poll reuses its socket instead of dialing, and node:http costs a
// fraction of fetch's per-request work (its streams, its per-request client): at rest these polls were the
// sidecar's largest CPU cost. Bodies are read up to a bound, so a wrong address cannot fill the memory.
import { Agent, request } from 'node:http';

export interface LocalAnswer {
  readonly status: number;
  readonly text: string;
}

export interface LocalGetOptions {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /** Reading stops with an error beyond this many bytes. */
  readonly maxBytes: number;
  /** Said when the body is too large: what the address should be. */
  readonly tooLargeHint: string;
}

/** Shared by every poller: a few sockets at most, kept while the server keeps them (cloudflared's for 10 s). */
const agent = new Agent({ keepAlive: true, maxSockets: 8, maxFreeSockets: 8, scheduling: 'lifo' });

/** Why a request ended early; the caller words it with the URL. */
export class LocalGetTimeout extends Error {}

/**
 * One GET; rejects with the transport's error, a LocalGetTimeout, or the signal's reason. A request on a reused
 * socket that the server closed meanwhile (its idle timeout racing our poll) is sent once more on a new one.
 */
export async function localGet(url: string, options: LocalGetOptions): Promise<LocalAnswer> {
  try {
    return await once(url, options);
  } catch (error) {
    if (error instanceof ReusedSocketReset) return once(url, options);
    throw error;
  }
}

class ReusedSocketReset extends Error {}

function once(url: string, o: LocalGetOptions): Promise<LocalAnswer> {
  return new Promise((resolve, reject) => {
    o.signal.throwIfAborted();
    const req = request(url, { agent, headers: { Accept: '*/*' } });
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      req.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const onAbort = (): void => { fail(o.signal.reason); };
    const timer = setTimeout(() => { fail(new LocalGetTimeout(`timed out after ${String(o.timeoutMs / 1000)}s`)); }, o.timeoutMs);
    o.signal.addEventListener('abort', onAbort, { once: true });
    // `on`, not `once`: destroying a request can emit a second error, which must not go unheard.
    req.on('error', (error: NodeJS.ErrnoException) => {
      fail(req.reusedSocket && error.code === 'ECONNRESET' ? new ReusedSocketReset(error.message) : error);
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > o.maxBytes) fail(new Error(`the answer is larger than ${String(o.maxBytes / 1024 / 1024)} MiB; ${o.tooLargeHint}`));
        else chunks.push(chunk);
      });
      res.on('error', fail);
      res.once('end', () => {
        clearTimeout(timer);
        o.signal.removeEventListener('abort', onAbort);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks, size).toString('utf8') });
      });
    });
    req.end();
  });
}
