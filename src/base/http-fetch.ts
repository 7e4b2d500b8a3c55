// fetch's face on requestWhole (http-request.ts), for code written for fetch: the Cloudflare SDK takes a `fetch`
// option, and Loki's and Alertmanager's clients are tested with fetch stand-ins. Callers get a real Response.
// Differs from fetch on purpose: redirects are returned, not followed (none of these APIs redirects, and a redirected
// push or token would be a surprise), and bodies are strings or bytes, never streams.
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { requestWhole, type WholeAnswer } from './http-request.js';

export interface HttpFetchOptions {
  /** Reading stops with an error beyond this many bytes, before and after decoding. */
  readonly maxBytes: number;
  /** The error for an answer over the bound; `what` is "N bytes" (declared) or "longer" (seen while reading). */
  readonly tooLarge?: (what: string) => Error;
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);

/** A fetch-compatible function reading each answer whole, up to `maxBytes`. */
export function createHttpFetch(options: HttpFetchOptions): typeof fetch {
  const { maxBytes } = options;
  const tooLarge = options.tooLarge ?? ((what: string) => new Error(`the answer is ${what}, more than the ${String(maxBytes)} bytes read at most`));
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const method = (init.method ?? 'GET').toUpperCase();
    const body = bodyOf(init.body);
    const answer = await requestWhole(url, { method, headers: headersOf(init.headers), ...(body ? { body } : {}), ...(init.signal ? { signal: init.signal } : {}), maxBytes, tooLarge });
    const empty = NULL_BODY_STATUSES.has(answer.status) || method === 'HEAD';
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < answer.rawHeaders.length; i += 2) pairs.push([answer.rawHeaders[i] ?? '', answer.rawHeaders[i + 1] ?? '']);
    return new Response(empty ? null : decoded(answer, maxBytes, tooLarge), { status: answer.status, statusText: answer.statusText, headers: pairs });
  };
}

/** The body as sent, decoded when the server compressed it although nothing asked it to. */
function decoded(answer: WholeAnswer, maxBytes: number, tooLarge: (what: string) => Error): Buffer {
  const encoding = (answer.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity' || answer.body.byteLength === 0) return answer.body;
  const bounded = { maxOutputLength: maxBytes };
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipSync(answer.body, bounded);
    if (encoding === 'deflate') return inflateSync(answer.body, bounded);
    if (encoding === 'br') return brotliDecompressSync(answer.body, bounded);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge('longer');
    throw new Error(`the answer's ${encoding} body does not decode: ${(error as Error).message}`, { cause: error });
  }
  throw new Error(`the answer is in content-encoding ${encoding}, which tunnelwatch does not decode (it asks for none)`);
}

/** Headers given as a Headers object, pairs or a record; a Headers object is read without naming the class. */
function headersOf(given: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (given === undefined) return out;
  if (Array.isArray(given)) {
    for (const [name, value] of given as [string, string][]) out[name.toLowerCase()] = value;
  } else if (typeof (given as Headers).forEach === 'function') {
    (given as Headers).forEach((value, name) => { out[name] = value; });
  } else {
    for (const [name, value] of Object.entries(given as Record<string, string>)) out[name.toLowerCase()] = value;
  }
  return out;
}

function bodyOf(given: RequestInit['body']): Buffer | undefined {
  if (given === undefined || given === null) return undefined;
  if (typeof given === 'string') return Buffer.from(given);
  if (given instanceof ArrayBuffer) return Buffer.from(given);
  if (ArrayBuffer.isView(given)) return Buffer.from(given.buffer, given.byteOffset, given.byteLength);
  throw new TypeError('a request body here is a string or bytes; streams, forms and blobs are not sent');
}
