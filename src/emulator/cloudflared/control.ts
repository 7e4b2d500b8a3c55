// The emulator's control endpoint (CFEMU_CONTROL), not part of cloudflared: `POST /faults` applies one
// fault step now, `GET /state` returns the emulator's state as JSON for tests. It keeps answering while the
// hang fault silences the metrics server.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseFault, type Fault } from './faults.js';
import { goAddress } from './listen.js';

export interface ControlHandlers {
  apply(fault: Fault): void;
  state(): Promise<unknown>;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(handlers: ControlHandlers, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://control').pathname;
  if (path === '/state' && req.method === 'GET') {
    reply(res, 200, await handlers.state());
    return;
  }
  if (path === '/faults' && req.method === 'POST') {
    let input: unknown;
    try {
      input = JSON.parse(await readBody(req));
    } catch {
      reply(res, 400, { ok: false, error: 'body is not JSON' });
      return;
    }
    const parsed = parseFault(input);
    if (!parsed.ok) {
      reply(res, 400, { ok: false, error: parsed.error });
      return;
    }
    handlers.apply(parsed.fault);
    reply(res, 200, { ok: true, applied: parsed.fault.fault });
    return;
  }
  reply(res, path === '/state' || path === '/faults' ? 405 : 404, { ok: false, error: `no route ${req.method ?? ''} ${path}` });
}

/** Starts the control server on `listen` (`host:port`); resolves with its address. */
export async function startControl(listen: string, handlers: ControlHandlers): Promise<{ address: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(handlers, req, res).catch((e: unknown) => { reply(res, 500, { ok: false, error: String(e) }); });
  });
  const at = listen.lastIndexOf(':');
  const host = at === -1 ? '127.0.0.1' : listen.slice(0, at).replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = at === -1 ? Number(listen) : Number(listen.slice(at + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: Number.isInteger(port) ? port : 0 }, () => { resolve(); });
  });
  return {
    address: goAddress(server.address() as AddressInfo),
    close: () =>
      new Promise((resolve) => {
        server.close(() => { resolve(); });
        server.closeAllConnections();
      }),
  };
}
