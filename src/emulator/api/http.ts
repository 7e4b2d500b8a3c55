// Small node:http helpers shared by the API, edge and control routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Reply } from './envelope.js';

// Request bodies here are small JSON documents; anything bigger is a client bug, not a payload to buffer.
const MAX_BODY_BYTES = 1024 * 1024;

/** One request as the routers see it: the body is read only by the routes that take one. */
export interface Incoming {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly readBody: () => Promise<JsonBody>;
}

export type JsonBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/** Reads and parses a JSON body; an empty body reads as `{}`. */
export async function readJson(req: IncomingMessage): Promise<JsonBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { ok: false, reason: `the request body is over ${String(MAX_BODY_BYTES)} bytes` };
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: 'the request body is not JSON' };
  }
}

export function sendReply(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...reply.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** A plain (non-envelope) JSON reply, as the /__edge and /__emulator routes use. */
export const json = (status: number, body: unknown): Reply => ({ status, body });
