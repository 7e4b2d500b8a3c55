// The visitor's side of the emulated edge: answers on a normal HTTP exchange or, for WebSocket upgrade
// requests, on the raw socket Node hands over. Every answer carries the headers Cloudflare's edge adds.
import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface Visitor {
  /** Aborted when the visitor goes away before its answer is complete (cloudflared's request context). */
  readonly signal: AbortSignal;
  /** A complete answer with a small body. */
  send(status: number, headers: Readonly<Record<string, string>>, body: string): void;
  /** The origin's status and headers, then its body; rejects when either side breaks off. */
  stream(status: number, headers: ReadonlyMap<string, string[]>, body: Readable): Promise<void>;
  /** Breaks off an answer already under way. */
  destroy(): void;
}

/** The visitor's raw connection once Node handed a WebSocket upgrade request over. */
export interface Tunnel {
  readonly socket: Duplex;
  /** Bytes the visitor sent after its request head. */
  readonly head: Buffer;
  /** Sends the origin's 101; from then on either side closing is the normal end of the session. */
  switchProtocols(headers: ReadonlyMap<string, string[]>): void;
}

function edgeHeaders(ray: string): [string, string][] {
  return [
    ['server', 'cloudflare'],
    ['cf-ray', ray],
  ];
}

/** A visitor on a regular request. */
export function responseVisitor(res: ServerResponse, ray: string): Visitor {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return {
    signal: controller.signal,
    send(status, headers, body) {
      res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)), ...Object.fromEntries(edgeHeaders(ray)) });
      res.end(body);
    },
    async stream(status, headers, body) {
      res.writeHead(status, { ...Object.fromEntries(headers), ...Object.fromEntries(edgeHeaders(ray)) });
      await pipeline(body, res);
    },
    destroy() {
      res.destroy();
    },
  };
}

function statusHead(status: number, headers: Iterable<readonly [string, string]>): string {
  const lines = [`HTTP/1.1 ${String(status)} ${STATUS_CODES[status] ?? ''}`];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function flatten(headers: ReadonlyMap<string, string[]>): [string, string][] {
  return [...headers].flatMap(([name, values]) => values.map((v): [string, string] => [name, v]));
}

/** A visitor that asked for a WebSocket upgrade; anything but a 101 is sent close-delimited. */
export function socketVisitor(socket: Duplex, head: Buffer, ray: string): Visitor & Tunnel {
  const controller = new AbortController();
  let finished = false;
  socket.on('close', () => {
    if (!finished) controller.abort();
  });
  socket.on('error', () => undefined); // surfaces as 'close', handled above
  const end = (): void => {
    finished = true;
    socket.end();
  };
  return {
    socket,
    head,
    signal: controller.signal,
    send(status, headers, body) {
      const all = [...Object.entries(headers), ['content-length', String(Buffer.byteLength(body))] as const, ['connection', 'close'] as const];
      socket.write(statusHead(status, [...all, ...edgeHeaders(ray)]) + body);
      end();
    },
    async stream(status, headers, body) {
      socket.write(statusHead(status, [...flatten(headers), ['connection', 'close'], ...edgeHeaders(ray)]));
      await pipeline(body, socket, { end: false });
      end();
    },
    destroy() {
      socket.destroy();
    },
    switchProtocols(headers) {
      finished = true;
      socket.write(statusHead(101, [...flatten(headers), ...edgeHeaders(ray)]));
    },
  };
}

/**
 * The page Cloudflare's edge serves itself: 502 when cloudflared reports the origin failed, 530 (error 1033)
 * when the tunnel has no connector to carry the request. Not cloudflared behaviour, so worded loosely.
 */
export function sendEdgeError(visitor: Visitor, status: 502 | 530, ray: string, host: string): void {
  const [code, title, detail] =
    status === 530
      ? ['1033', 'Cloudflare Tunnel error', 'The host is configured as a Cloudflare Tunnel, and Cloudflare is currently unable to resolve it.']
      : ['502', 'Bad gateway', 'The web server reported a bad gateway error.'];
  const safeHost = host.replace(/[<>&"]/g, (c) => `&#${String(c.charCodeAt(0))};`);
  const body =
    `<!DOCTYPE html>\n<html><head><title>${title} | ${safeHost} | Cloudflare</title></head>\n` +
    `<body><h1>Error ${code}</h1><h2>${title}</h2><p>${detail}</p><p>Cloudflare Ray ID: ${ray}</p></body></html>\n`;
  visitor.send(status, { 'content-type': 'text/html; charset=UTF-8' }, body);
}
