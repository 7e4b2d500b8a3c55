// A fetch whose answers are read up to a bound: a real Cloudflare API answer for one tunnel is a few kilobytes and a
// connector's /metrics some tens, so an answer of hundreds of megabytes (a proxy's error page, a wrong address)
// fails instead of being held in memory whole. Without a fetch of its own, the request goes over node:http
// (base/http-fetch.ts), which reads the answer up to the bound itself.
import { createHttpFetch } from '../base/index.js';

/** Who answers and what to check when the answer is too large, e.g. the Cloudflare API and edge.baseUrl. */
export interface BoundedSource {
  readonly answer: string;
  readonly fix: string;
}

const API: BoundedSource = { answer: 'the API answer', fix: 'check edge.baseUrl' };

/** A fetch whose answer body longer than `maxBytes` fails, by its Content-Length or while read; `inner` is wrapped. */
export function boundedFetch(maxBytes: number, inner?: typeof fetch, source: BoundedSource = API): typeof fetch {
  const tooLarge = (what: string): Error => new Error(`${source.answer} is ${what}, more than the ${String(maxBytes)} bytes read at most; ${source.fix}`);
  if (inner === undefined) return createHttpFetch({ maxBytes, tooLarge });
  return async (input, init) => {
    const res = await inner(input, init);
    const declared = Number(res.headers.get('content-length') ?? Number.NaN);
    if (declared > maxBytes) {
      await res.body?.cancel();
      throw tooLarge(`${String(declared)} bytes`);
    }
    if (res.body === null) return res;
    let seen = 0;
    const limited = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > maxBytes) controller.error(tooLarge('longer'));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(limited, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}
