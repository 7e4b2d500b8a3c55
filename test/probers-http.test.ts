import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ORIGIN_REQUEST, type OriginRequest } from '../src/cloudflared/config/origin-request.js';
import { parseOriginService } from '../src/cloudflared/config/origin-service.js';
import { createSelfSigned, type SelfSigned } from '../src/emulator/self-signed-cert.js';
import { createHttpProber, probeHttp as httpProber } from '../src/probers/http.js';
import { runProbe, type Prober, type ProbeService, type ProbeTarget } from '../src/probers/index.js';

/** A prober in its frame, as the origins collector runs it. */
const framed = (prober: Prober) => (t: ProbeTarget, s: AbortSignal) => runProbe(t, s, prober);
const probeHttp = framed(httpProber);

function target(service: string, originRequest: Partial<OriginRequest> = {}, extra: Partial<ProbeTarget> = {}): ProbeTarget {
  return {
    key: `rule0:${service}`,
    service: parseOriginService(service, false) as ProbeService,
    serviceText: service,
    originRequest: { ...DEFAULT_ORIGIN_REQUEST, ...originRequest },
    timeoutMs: 2000,
    rules: [0],
    ...extra,
  };
}

const signal = new AbortController().signal;
const servers: { close(): unknown; closeAllConnections?(): void }[] = [];
const sockets = new Set<Socket>();

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  servers.push(server);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

describe('http prober against a real server', () => {
  it('answers ok with status 200 and times connect and first byte (no DNS for an IP)', async () => {
    const port = await listen(createHttpServer((_req, res) => res.end('hello')));
    const result = await probeHttp(target(`http://127.0.0.1:${String(port)}`), signal);
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.error).toBeUndefined();
    expect(result.phases.dnsMs).toBeUndefined();
    expect(result.phases.connectMs).toBeGreaterThanOrEqual(0);
    expect(result.phases.firstByteMs).toBeGreaterThanOrEqual(0);
    expect(result.phases.totalMs).toBe(result.durationMs);
    expect(result.durationMs).toBeGreaterThanOrEqual((result.phases.connectMs ?? 0) + (result.phases.firstByteMs ?? 0));
  });

  it('times DNS for a name', async () => {
    const port = await listen(createHttpServer((_req, res) => res.end()));
    const result = await probeHttp(target(`http://localhost:${String(port)}`), signal);
    expect(result.ok).toBe(true);
    expect(result.phases.dnsMs).toBeGreaterThanOrEqual(0);
  });

  it('counts a 503 as an answer by default, and as a failure when okStatus excludes it', async () => {
    const port = await listen(createHttpServer((_req, res) => { res.statusCode = 503; res.end('down'); }));
    const url = `http://127.0.0.1:${String(port)}`;
    expect(await probeHttp(target(url), signal)).toMatchObject({ ok: true, status: 503 });
    const strict = await probeHttp(target(url, {}, { okStatus: [{ min: 200, max: 399 }] }), signal);
    expect(strict).toMatchObject({ ok: false, status: 503, error: 'status 503' });
  });

  it('ends a server that accepts and never answers with a first_byte timeout', async () => {
    const port = await listen(createHttpServer(() => undefined));
    const result = await probeHttp(target(`http://127.0.0.1:${String(port)}`, {}, { timeoutMs: 200 }), signal);
    expect(result).toMatchObject({ ok: false, error: 'timeout after 0.2s in first_byte' });
    expect(result.status).toBeUndefined();
    expect(result.durationMs).toBeLessThan(1500);
  });

  it('reports a refused port as Node words it', async () => {
    const port = await listen(createTcpServer());
    servers.pop()?.close();
    await new Promise((r) => setTimeout(r, 10));
    const result = await probeHttp(target(`http://127.0.0.1:${String(port)}`), signal);
    expect(result).toMatchObject({ ok: false, error: `connect ECONNREFUSED 127.0.0.1:${String(port)}` });
    expect(result.phases.connectMs).toBeUndefined();
  });

  it('sends the Host header (httpHostHeader when set), the path, and closes the connection', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const urls: string[] = [];
    const port = await listen(createHttpServer((req, res) => { seen.push(req.headers); urls.push(req.url ?? ''); res.end(); }));
    const url = `http://127.0.0.1:${String(port)}`;
    await probeHttp(target(url), signal);
    await probeHttp(target(url, { httpHostHeader: 'app.example.com' }, { path: '/healthz?deep=1' }), signal);
    expect(seen[0]?.host).toBe(`127.0.0.1:${String(port)}`);
    expect(seen[1]?.host).toBe('app.example.com');
    expect(seen[1]?.connection).toBe('close');
    expect(seen[1]?.['user-agent']).toBe('tunnelwatch-probe');
    expect(urls).toEqual(['/', '/healthz?deep=1']);
  });

  it('stops reading a large body after a few KiB', async () => {
    const port = await listen(
      createHttpServer((_req, res) => {
        res.write(Buffer.alloc(64 * 1024));
        // never ends: the probe must not wait for the rest
      }),
    );
    const result = await probeHttp(target(`http://127.0.0.1:${String(port)}`, {}, { timeoutMs: 1000 }), signal);
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(result.durationMs).toBeLessThan(900);
  });

  it('keeps the verdict when the body stalls after the status line', async () => {
    const port = await listen(createHttpServer((_req, res) => { res.writeHead(204).flushHeaders(); }));
    const result = await probeHttp(target(`http://127.0.0.1:${String(port)}`, {}, { timeoutMs: 200 }), signal);
    expect(result).toMatchObject({ ok: true, status: 204 });
  });

  it('stops on the AbortSignal, and does not start when it is already aborted', async () => {
    const port = await listen(createHttpServer(() => undefined));
    const controller = new AbortController();
    const pending = probeHttp(target(`http://127.0.0.1:${String(port)}`), controller.signal);
    setTimeout(() => { controller.abort(); }, 50);
    expect(await pending).toMatchObject({ ok: false, error: 'aborted' });
    const result = await probeHttp(target(`http://127.0.0.1:${String(port)}`), controller.signal);
    expect(result).toMatchObject({ ok: false, error: 'aborted' });
    expect(result.phases.connectMs).toBeUndefined();
  });
});

describe('https prober', () => {
  const notAfter = new Date('2031-05-06T07:08:09Z');
  let cert: SelfSigned;
  let url: string;
  let port: number;
  const serverNames: (string | false | null)[] = [];
  const hosts: (string | undefined)[] = [];
  let server: ReturnType<typeof createHttpsServer>;

  beforeAll(async () => {
    cert = createSelfSigned({ commonName: 'origin.internal', altNames: ['origin.internal', '127.0.0.1'], notAfter });
    server = createHttpsServer({ cert: cert.cert, key: cert.key }, (req, res) => { hosts.push(req.headers.host); res.end('ok'); });
    server.on('secureConnection', (s: TLSSocket) => serverNames.push(s.servername));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    url = `https://127.0.0.1:${String(port)}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('fails verification of a self-signed certificate without caPool, and still reports its expiry', async () => {
    const result = await probeHttp(target(url), signal);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/^self-signed certificate not trusted/);
    expect(result.tlsNotAfter).toBe(notAfter.getTime());
    expect(result.phases.tlsMs).toBeUndefined();
    expect(result.status).toBeUndefined();
  });

  it('succeeds with the certificate as caPool, reading the file once per prober', async () => {
    const reads: string[] = [];
    const prober = framed(createHttpProber({ readCaPool: (path) => { reads.push(path); return Promise.resolve(cert.cert); } }));
    const t = target(url, { caPool: '/etc/origin-ca.pem' });
    const first = await prober(t, signal);
    const second = await prober(t, signal);
    expect(first).toMatchObject({ ok: true, status: 200, tlsNotAfter: notAfter.getTime() });
    expect(first.phases.tlsMs).toBeGreaterThanOrEqual(0);
    expect(second.ok).toBe(true);
    expect(reads).toEqual(['/etc/origin-ca.pem']);
  });

  it('names a caPool it cannot read', async () => {
    const result = await probeHttp(target(url, { caPool: '/nonexistent/tunnelwatch-ca.pem' }), signal);
    expect(result).toMatchObject({ ok: false, error: 'cannot read originRequest.caPool /nonexistent/tunnelwatch-ca.pem: ENOENT' });
  });

  it('succeeds with noTLSVerify', async () => {
    const result = await probeHttp(target(url, { noTLSVerify: true }), signal);
    expect(result).toMatchObject({ ok: true, status: 200, tlsNotAfter: notAfter.getTime() });
  });

  it('sends originServerName as SNI and verifies against it', async () => {
    serverNames.length = 0;
    const prober = framed(createHttpProber({ readCaPool: () => Promise.resolve(cert.cert) }));
    const result = await prober(target(url, { caPool: 'ca.pem', originServerName: 'origin.internal' }), signal);
    expect(result.ok).toBe(true);
    expect(serverNames).toEqual(['origin.internal']);
    const wrong = await prober(target(url, { caPool: 'ca.pem', originServerName: 'other.internal' }), signal);
    expect(wrong).toMatchObject({ ok: false, error: 'certificate not valid for the server name (set originRequest.originServerName)' });
  });

  it('sends httpHostHeader over TLS, and uses it as SNI with matchSNItoHost', async () => {
    hosts.length = 0;
    serverNames.length = 0;
    const prober = framed(createHttpProber({ readCaPool: () => Promise.resolve(cert.cert) }));
    const result = await prober(target(url, { caPool: 'ca.pem', httpHostHeader: 'origin.internal', matchSNItoHost: true }), signal);
    expect(result.ok).toBe(true);
    expect(hosts).toEqual(['origin.internal']);
    expect(serverNames).toEqual(['origin.internal']);
  });

  it('says so when the certificate has expired', async () => {
    const old = createSelfSigned({
      commonName: 'old',
      altNames: ['127.0.0.1'],
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2021-01-01T00:00:00Z'),
    });
    const port2 = await listen(createHttpsServer({ cert: old.cert, key: old.key }, (_req, res) => res.end()));
    const prober = framed(createHttpProber({ readCaPool: () => Promise.resolve(old.cert) }));
    const result = await prober(target(`https://127.0.0.1:${String(port2)}`, { caPool: 'ca.pem' }), signal);
    expect(result).toMatchObject({ ok: false, error: 'certificate expired', tlsNotAfter: Date.parse('2021-01-01T00:00:00Z') });
  });

  it('says so when an https origin speaks plain HTTP', async () => {
    const plain = await listen(createHttpServer((_req, res) => res.end()));
    const result = await probeHttp(target(`https://127.0.0.1:${String(plain)}`), signal);
    expect(result).toMatchObject({ ok: false, error: 'tls: the origin does not speak TLS (use http:// or check the port)' });
  });

  it('bounds the handshake by tlsTimeout', async () => {
    const silent = await listen(createTcpServer(() => undefined));
    const result = await probeHttp(target(`https://127.0.0.1:${String(silent)}`, { tlsTimeout: 150 }), signal);
    expect(result).toMatchObject({ ok: false, error: 'timeout after 0.15s in tls' });
    expect(result.phases.connectMs).toBeGreaterThanOrEqual(0);
  });

  it('opens one span per probe with its phases as events', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    try {
      await probeHttp(target(url, { noTLSVerify: true }), signal);
      const spans = exporter.getFinishedSpans();
      expect(spans.map((s) => s.name)).toEqual(['probe https']);
      expect(spans[0]?.events.map((e) => e.name)).toEqual(['connect', 'tls', 'first_byte']);
      expect(spans[0]?.attributes).toMatchObject({ 'tunnelwatch.probe.ok': true, 'http.response.status_code': 200 });
    } finally {
      trace.disable();
      await provider.shutdown();
    }
  });
});
