// GET for the servers polled every few seconds on this host (the connector's /ready, /metrics and /config), through
// base's keep-alive requests: a poll reuses its socket instead of dialing, and node:http costs a fraction of fetch's
// per-request work (its streams, its per-request client); at rest these polls were the sidecar's largest CPU cost.
// Bodies are read up to a bound, so a wrong address cannot fill the memory.
import { requestWhole } from '../base/index.js';

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

/** Why a request ended early; the caller words it with the URL. */
export class LocalGetTimeout extends Error {}

/** One GET; rejects with the transport's error, a LocalGetTimeout, or the signal's reason. */
export async function localGet(url: string, o: LocalGetOptions): Promise<LocalAnswer> {
  const timeout = new AbortController();
  const timer = setTimeout(() => { timeout.abort(new LocalGetTimeout(`timed out after ${String(o.timeoutMs / 1000)}s`)); }, o.timeoutMs);
  try {
    const answer = await requestWhole(new URL(url), {
      headers: { accept: '*/*' },
      signal: AbortSignal.any([o.signal, timeout.signal]),
      maxBytes: o.maxBytes,
      tooLarge: () => new Error(`the answer is larger than ${String(o.maxBytes / 1024 / 1024)} MiB; ${o.tooLargeHint}`),
    });
    return { status: answer.status, text: answer.body.toString('utf8') };
  } finally {
    clearTimeout(timer);
  }
}
