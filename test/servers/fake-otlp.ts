// A fake OTLP/HTTP trace receiver (JSON encoding only), run as its own process:
// `node --import tsx test/servers/fake-otlp.ts <out.jsonl> [port]`. Only node:http.
// Prints `listening <port>` on stdout. Endpoints:
//   POST /v1/traces   application/json body: appended to <out.jsonl> as one line, before answering 200 `{}`,
//                     so a client that saw the 200 can read it back. Any other content type gets 415
//                     (protobuf cannot be decoded here; use OTEL_EXPORTER_OTLP_PROTOCOL=http/json).
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';

const out = process.argv[2] ?? '';
if (out === '') {
  process.stderr.write('usage: fake-otlp.ts <out.jsonl> [port]\n');
  process.exit(2);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { resolve(Buffer.concat(chunks).toString('utf8')); });
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(body);
}

function receive(req: IncomingMessage, res: ServerResponse, body: string): void {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    reply(res, 415, 'text/plain', 'fake-otlp accepts only application/json (OTLP http/json)');
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    reply(res, 400, 'text/plain', 'body is not JSON');
    return;
  }
  appendFileSync(out, `${JSON.stringify(parsed)}\n`);
  reply(res, 200, 'application/json', '{}');
}

const server = createServer((req, res) => {
  void readBody(req).then((body) => {
    if (req.method === 'POST' && req.url === '/v1/traces') receive(req, res, body);
    else reply(res, 404, 'text/plain', 'not found');
  });
});

server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
