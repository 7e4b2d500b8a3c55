// Checks through the tunnel against a real local server standing in for Cloudflare's entrance: the probe connects
// to the entrance, asks for the URL's host and path, and keeps who answered so the verdict can tell Cloudflare's
// own pages from the origin's.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORIGIN_REQUEST } from '../src/cloudflared/config/index.js';
import { tunnelChecksCollector, tunnelTarget } from '../src/collectors/tunnel-checks.js';
import { tunnelVerdict } from '../src/diagnosis/index.js';
import { createSelfSigned } from '../src/emulator/self-signed-cert.js';

describe('tunnelTarget', () => {
  it("without an entrance connects to the URL's host, with its scheme, path and query", () => {
    const t = tunnelTarget('https://app.example.com/healthz?x=1', undefined, 3000);
    expect(t).toMatchObject({ key: 'https://app.example.com/healthz?x=1', serviceText: 'https://app.example.com/healthz?x=1', timeoutMs: 3000, path: '/healthz?x=1', rules: [], keepAnswer: true });
    expect(t.service).toMatchObject({ kind: 'http', scheme: 'https', host: 'app.example.com' });
    expect(t.service.kind === 'http' ? t.service.port : 'not http').toBeUndefined();
    expect(t.originRequest).toEqual({ ...DEFAULT_ORIGIN_REQUEST, httpHostHeader: 'app.example.com', originServerName: 'app.example.com' });
    // Cloudflare's answer is what is looked at, so no status range makes a check fail by itself.
    expect(t.okStatus).toBeUndefined();
  });

  it("keeps a non-default port of the URL, in the address and in the Host header", () => {
    const t = tunnelTarget('http://app.example.com:8080/', undefined, 3000);
    expect(t.service).toMatchObject({ scheme: 'http', host: 'app.example.com', port: 8080 });
    expect(t.originRequest.httpHostHeader).toBe('app.example.com:8080');
    expect(t.originRequest.originServerName).toBe('app.example.com');
    expect(t.path).toBe('/');
  });

  it("with an entrance connects there but still asks for the URL's host (port included) and names it in TLS", () => {
    const t = tunnelTarget('https://app.example.com:8443/x', '127.0.0.1:9443', 500);
    expect(t.service).toMatchObject({ kind: 'http', url: 'https://127.0.0.1:9443', scheme: 'https', host: '127.0.0.1', port: 9443 });
    expect(t.originRequest).toMatchObject({ httpHostHeader: 'app.example.com:8443', originServerName: 'app.example.com' });
    const plain = tunnelTarget('https://app.example.com/healthz?x=1', '127.0.0.1:8443', 500);
    expect(plain.service).toMatchObject({ host: '127.0.0.1', port: 8443 });
    expect(plain.originRequest).toMatchObject({ httpHostHeader: 'app.example.com', originServerName: 'app.example.com' });
    expect(plain.path).toBe('/healthz?x=1');
  });

  it('unbrackets an IPv6 entrance', () => {
    const t = tunnelTarget('http://app.example.com/', '[::1]:9000', 500);
    expect(t.service).toMatchObject({ scheme: 'http', host: '::1', port: 9000 });
    expect(t.originRequest.httpHostHeader).toBe('app.example.com');
  });
});

describe('tunnelChecksCollector against a stand-in entrance', () => {
  const seen: { host: string | undefined; url: string | undefined }[] = [];
  const sockets = new Set<Socket>();
  /** Requests to hang.example, kept unanswered until afterAll. */
  const hung: ServerResponse[] = [];
  let entrance = '';

  // Cloudflare's entrance picks the tunnel by Host; so does this stand-in.
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({ host: req.headers.host, url: req.url });
    switch (req.headers.host) {
      case 'ok.example':
        res.writeHead(200, { server: 'nginx', 'content-type': 'text/plain' }).end('hello');
        break;
      case 'gone.example':
        res.writeHead(530, { server: 'cloudflare', 'cf-ray': '0123456789abcdef-LAX', 'content-type': 'text/plain' }).end('error code: 1033\n');
        break;
      case 'bad.example':
        res.writeHead(502, { server: 'cloudflare', 'cf-ray': 'fedcba9876543210-SJC', 'content-type': 'text/plain' }).end('error code: 502\n');
        break;
      case 'hang.example':
        hung.push(res);
        break;
      default:
        res.writeHead(404).end();
    }
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    entrance = `127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });

  afterAll(async () => {
    for (const res of hung) res.destroy();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  });

  it('fetches every URL through the entrance and keeps who answered, in settings order', async () => {
    const urls = ['http://ok.example/healthz?x=1', 'http://gone.example/', 'http://bad.example/', 'http://hang.example/'];
    const collector = tunnelChecksCollector({ urls, interval: 1000, timeout: 300, entrance });
    expect(collector).toMatchObject({ name: 'end_to_end', intervalMs: 1000 });
    expect(collector.checks).toEqual([]);

    const at = 1_800_000_000_000;
    const observations = await collector.collect({ signal: new AbortController().signal, now: () => at });
    // Like the edge reachability checks it feeds the health model nothing: a failed check names a cause instead.
    expect(observations).toEqual([]);

    const [ok, gone, bad, hang] = collector.checks;
    expect(collector.checks.map((c) => c.url)).toEqual(urls);
    expect(collector.checks.every((c) => c.at === at && c.durationMs >= 0)).toBe(true);

    expect(ok).toMatchObject({ status: 200, server: 'nginx', head: 'hello' });
    expect(ok?.ray).toBeUndefined();
    expect(ok?.error).toBeUndefined();

    expect(gone).toMatchObject({ status: 530, server: 'cloudflare', ray: '0123456789abcdef-LAX', head: 'error code: 1033\n' });
    expect(bad).toMatchObject({ status: 502, server: 'cloudflare', ray: 'fedcba9876543210-SJC' });
    expect(bad?.head).toMatch(/^error code: 502/);
    // A failing status is an answer, not an error: the error field is for checks nothing answered.
    expect(gone?.error).toBeUndefined();
    expect(bad?.error).toBeUndefined();

    expect(hang?.status).toBeUndefined();
    expect(hang?.error).toMatch(/^timeout after .* in first_byte$/);
    expect(hang?.server).toBeUndefined();
    expect(hang?.head).toBeUndefined();
    expect(hang?.durationMs).toBeGreaterThanOrEqual(250);

    expect(collector.checks.map((c) => tunnelVerdict(c))).toEqual(['served', 'no_connector', 'origin_error', 'not_serving']);

    // The entrance was asked for each URL's host and path, not for its own address.
    expect([...seen].sort((a, b) => String(a.host).localeCompare(String(b.host)))).toEqual([
      { host: 'bad.example', url: '/' },
      { host: 'gone.example', url: '/' },
      { host: 'hang.example', url: '/' },
      { host: 'ok.example', url: '/healthz?x=1' },
    ]);
  });

  it('replaces the previous checks with the newest on each run', async () => {
    const collector = tunnelChecksCollector({ urls: ['http://ok.example/', 'http://gone.example/'], interval: 1000, timeout: 300, entrance });
    const signal = new AbortController().signal;
    await collector.collect({ signal, now: () => 1 });
    await collector.collect({ signal, now: () => 2 });
    expect(collector.checks.map((c) => [c.url, c.at, c.status])).toEqual([
      ['http://ok.example/', 2, 200],
      ['http://gone.example/', 2, 530],
    ]);
  });

  it('reports an entrance that refuses the connection as an error with no status: edge_error', async () => {
    // A port that was just free: bound, read and closed again, so nothing listens there.
    const probe = createHttpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => { resolve(); }));
    const collector = tunnelChecksCollector({ urls: ['http://ok.example/'], interval: 1000, timeout: 300, entrance: `127.0.0.1:${String(port)}` });
    await collector.collect({ signal: new AbortController().signal, now: Date.now });
    const [view] = collector.checks;
    expect(view?.status).toBeUndefined();
    expect(view?.error).toMatch(/ECONNREFUSED/);
    expect(view === undefined ? undefined : tunnelVerdict(view)).toBe('edge_error');
  });
});

describe('tunnelChecksCollector over TLS', () => {
  const names: (string | undefined)[] = [];
  const cert = createSelfSigned({ commonName: 'secure.example', altNames: ['secure.example'] });
  // SNICallback runs on the ClientHello, so the name is seen even though the probe then rejects the certificate.
  const server = createHttpsServer({
    cert: cert.cert,
    key: cert.key,
    SNICallback: (name, cb) => {
      names.push(name);
      cb(null);
    },
  }, (_req, res) => res.end('hello'));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  let entrance = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    entrance = `127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  });

  it("names the URL's host in TLS, and verifies the entrance's certificate: an untrusted one is an edge error", async () => {
    const collector = tunnelChecksCollector({ urls: ['https://secure.example/'], interval: 1000, timeout: 2000, entrance });
    await collector.collect({ signal: new AbortController().signal, now: Date.now });
    expect(names).toEqual(['secure.example']);
    const [view] = collector.checks;
    expect(view?.status).toBeUndefined();
    expect(view?.error).toMatch(/certificate/i);
    expect(view === undefined ? undefined : tunnelVerdict(view)).toBe('edge_error');
  });
});
