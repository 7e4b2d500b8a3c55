// A scriptable fake Loki push receiver, run as its own process so a worker-thread transport can never
// deadlock with it: `node --import tsx test/servers/fake-loki.ts [port]`. Only node:http.
// Prints `listening <port>` on stdout. Endpoints:
//   POST /loki/api/v1/push   next scripted status (default 204); 2xx records the streams. A push with a
//                            line containing the /reject substring gets 400 instead.
//   POST /script             body like `500,500,429:retry-after=1,204` replaces the status sequence.
//   POST /reject             body is a substring; pushes with such a line get 400 `line_too_long`.
//   GET  /received           JSON [{stream, values}] of every accepted push stream, in arrival order.
//   GET  /requests           JSON [{status, authorization, tenant, time}] for every push request (`time`:
//                            Unix ms when the push was answered, for Retry-After checks).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface Stream { stream: Record<string, string>; values: [string, string][] }

let script: string[] = [];
let rejectText = '';
const received: Stream[] = [];
const requests: { status: number; authorization: string | null; tenant: string | null; time: number }[] = [];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { resolve(Buffer.concat(chunks).toString('utf8')); });
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain', ...headers });
  res.end(body);
}

function push(req: IncomingMessage, res: ServerResponse, body: string): void {
  const [code = '204', ...opts] = (script.shift() ?? '204').split(':');
  let status = Number(code);
  const headers: Record<string, string> = {};
  for (const opt of opts) {
    const [k, v] = opt.split('=');
    if (k && v !== undefined) headers[k] = v;
  }
  let streams: Stream[] = [];
  try {
    streams = (JSON.parse(body) as { streams: Stream[] }).streams;
  } catch {
    status = 400;
  }
  if (status < 300 && rejectText && streams.some((s) => s.values.some((v) => v[1].includes(rejectText)))) status = 400;
  const tenant = req.headers['x-scope-orgid'];
  requests.push({ status, authorization: req.headers.authorization ?? null, tenant: typeof tenant === 'string' ? tenant : null, time: Date.now() });
  if (status >= 200 && status < 300) {
    for (const s of streams) received.push({ stream: s.stream, values: s.values });
    reply(res, status);
  } else {
    reply(res, status, status === 400 ? 'entry for stream has a line_too_long error' : `status ${status}`, headers);
  }
}

const server = createServer((req, res) => {
  void readBody(req).then((body) => {
    if (req.method === 'POST' && req.url === '/script') {
      script = body.split(',').map((s) => s.trim()).filter(Boolean);
      reply(res, 204);
    } else if (req.method === 'POST' && req.url === '/reject') {
      rejectText = body;
      reply(res, 204);
    } else if (req.method === 'GET' && (req.url === '/received' || req.url === '/requests')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/received' ? received : requests));
    } else if (req.method === 'POST' && req.url === '/loki/api/v1/push') {
      push(req, res, body);
    } else {
      reply(res, 404, 'not found');
    }
  });
});

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
