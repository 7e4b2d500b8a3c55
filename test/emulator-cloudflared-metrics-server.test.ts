// The metrics server's routes answer with cloudflared's exact bodies, status codes and content types, and
// /metrics is written the way client_golang writes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCloudflaredConfig } from '../src/cloudflared/config/file.js';
import { readConnectorMetrics } from '../src/cloudflared/metrics/connector-metrics.js';
import { parseExposition } from '../src/cloudflared/metrics/exposition.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import { BackoffHandler } from '../src/emulator/cloudflared/backoff.js';
import { Random } from '../src/emulator/cloudflared/clock.js';
import { goFloat, writeExposition } from '../src/emulator/cloudflared/exposition-writer.js';
import { createMetricsListener } from '../src/emulator/cloudflared/listen.js';
import { EmulatorLogger } from '../src/emulator/cloudflared/logger.js';
import { CloudflaredMetrics } from '../src/emulator/cloudflared/metrics.js';
import { METRICS_CONTENT_TYPE, serveMetricsRoutes, type TunnelStateView } from '../src/emulator/cloudflared/metrics-server.js';
import { Orchestrator, defaultRules } from '../src/emulator/cloudflared/orchestrator.js';
import { DEFAULT_ORIGIN_REQUEST } from '../src/cloudflared/config/origin-request.js';

const CONNECTOR = '2b8f6c1e-93a4-4d7e-b0c5-8e1f2a3b4c5d';
const logged: string[] = [];
const log = new EmulatorLogger({ level: 'info', json: false, now: () => Date.now(), write: (t) => logged.push(t.trimEnd()) });
const metrics = new CloudflaredMetrics('2026.8.2', '2026-08-20T09:54 UTC');
const orchestrator = new Orchestrator({ rules: [], originRequest: DEFAULT_ORIGIN_REQUEST, warpRouting: { connectTimeout: 5000, tcpKeepAlive: 30_000, maxActiveFlows: 0 } }, log, metrics);
let ready = 0;
let hung = false;
let state: TunnelStateView = { tunnelId: '6ff42ae2-765d-4adf-8112-31c55c1551ef', connectorId: CONNECTOR, connections: [], icmpSources: [] };
let base = '';
let close: () => Promise<void> = () => Promise.resolve();

beforeAll(async () => {
  const listener = await createMetricsListener('127.0.0.1:0');
  if ('error' in listener) throw new Error(listener.error);
  base = `http://${listener.address}`;
  const server = serveMetricsRoutes(listener.server, {
    log,
    connectorId: CONNECTOR,
    readyConnections: () => ready,
    exposition: () => metrics.exposition({ startedAt: Date.now() - 5000, goroutines: 40, scrapes: { '200': 0, '500': 0, '503': 0 }, scrapesInFlight: 1 }, Date.now()),
    configJson: () => orchestrator.configJson(),
    tunnelState: () => state,
    diagConfiguration: () => ({ uid: '0', metrics: '127.0.0.1:0', 'no-autoupdate': 'true' }),
    systemInfo: () => '{"info":{},"errors":null}',
    hung: () => hung,
    scrapeStarted: () => undefined,
    scrapeFinished: () => undefined,
  });
  close = () => server.close();
});
afterAll(async () => close());

async function get(path: string, init?: RequestInit): Promise<{ status: number; type: string | null; body: string; res: Response }> {
  const res = await fetch(`${base}${path}`, { redirect: 'manual', ...init });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text(), res };
}

describe('routes', () => {
  it('/healthcheck, /quicktunnel', async () => {
    expect(await get('/healthcheck')).toMatchObject({ status: 200, type: 'text/plain; charset=utf-8', body: 'OK\n' });
    expect(await get('/quicktunnel', { method: 'POST' })).toMatchObject({ status: 200, body: '{"hostname":""}' });
  });

  it('/ready: compact JSON, 503 without connections, 200 with', async () => {
    ready = 0;
    expect(await get('/ready')).toMatchObject({ status: 503, type: 'text/plain; charset=utf-8', body: `{"status":503,"readyConnections":0,"connectorId":"${CONNECTOR}"}` });
    ready = 4;
    expect(await get('/ready', { method: 'DELETE' })).toMatchObject({ status: 200, body: `{"status":200,"readyConnections":4,"connectorId":"${CONNECTOR}"}` });
  });

  it('/config: version -1, capital Handlers, durations in seconds; readable as a /config body', async () => {
    const { body } = await get('/config');
    const rule =
      '{"hostname":"","path":null,"service":"http_status:503","Handlers":null,"originRequest":{"connectTimeout":30,"tlsTimeout":10,"tcpKeepAlive":30,' +
      '"noHappyEyeballs":false,"keepAliveTimeout":90,"keepAliveConnections":100,"httpHostHeader":"","originServerName":"","matchSNItoHost":false,' +
      '"caPool":"","noTLSVerify":false,"disableChunkedEncoding":false,"bastionMode":false,"proxyAddress":"127.0.0.1","proxyPort":0,"proxyType":"",' +
      '"ipRules":null,"http2Origin":false,"access":{"teamName":"","audTag":null}}}';
    expect(body.startsWith(`{"version":-1,"config":{"ingress":[${rule}],"warp-routing":{},"originRequest":{"connectTimeout":30,`)).toBe(true);
    const parsed = parseCloudflaredConfig(body, '/config');
    expect(parsed.config?.shape).toBe('endpoint');
    expect(parsed.config?.version).toBe(-1);
    expect(parsed.config?.rules.map((r) => r.serviceText)).toEqual(['http_status:503']);
    expect(defaultRules()).toHaveLength(1);
  });

  it('/config follows a pushed remote configuration', async () => {
    expect(orchestrator.update(3, '{"ingress":[{"hostname":"app.example.com","service":"http://localhost:8080"},{"service":"http_status:404"}],"warp-routing":{}}')).toBe(true);
    expect(orchestrator.update(2, '{"ingress":[]}')).toBe(false);
    const parsed = parseCloudflaredConfig((await get('/config')).body, '/config');
    expect(parsed.config?.version).toBe(3);
    expect(parsed.config?.rules.map((r) => [r.hostname, r.serviceText])).toEqual([['app.example.com', 'http://localhost:8080'], ['', 'http_status:404']]);
    const updated = logged.map((l) => parseLogLine(l)).find((e) => e.type === 'config_updated');
    expect(updated?.type === 'config_updated' ? updated.version : undefined).toBe(3);
  });

  it('/diag/tunnel omits index 0, protocol 0 (http2) and empty lists', async () => {
    state = { ...state, connections: [], icmpSources: [] };
    expect((await get('/diag/tunnel')).body).toBe(`{"tunnelID":"6ff42ae2-765d-4adf-8112-31c55c1551ef","connectorID":"${CONNECTOR}"}\n`);
    state = {
      ...state,
      connections: [{ index: 0, protocol: 'quic', edgeAddress: '198.41.192.7' }, { index: 1, protocol: 'http2', edgeAddress: '198.41.200.13' }],
      icmpSources: ['10.0.0.12', 'fe80::1'],
    };
    expect((await get('/diag/tunnel')).body).toBe(
      `{"tunnelID":"6ff42ae2-765d-4adf-8112-31c55c1551ef","connectorID":"${CONNECTOR}","connections":[{"isConnected":true,"protocol":1,"edgeAddress":"198.41.192.7"},` +
        '{"isConnected":true,"edgeAddress":"198.41.200.13","index":1}],"icmp_sources":["10.0.0.12","fe80::1"]}\n',
    );
    const collectors = logged.map((l) => parseLogLine(l)).filter((e) => e.fields.collector === 'tunnelState').map((e) => e.message);
    expect(collectors.slice(0, 2)).toEqual(['Collection started', 'Collection finished']);
  });

  it('/diag/configuration is a sorted JSON map with a trailing newline', async () => {
    expect((await get('/diag/configuration')).body).toBe('{"metrics":"127.0.0.1:0","no-autoupdate":"true","uid":"0"}\n');
  });

  it('Go ServeMux answers: 404, redirects, forbidden cmdline', async () => {
    for (const path of ['/nope', '/metrics/', '/ready/x']) {
      expect(await get(path)).toMatchObject({ status: 404, type: 'text/plain; charset=utf-8', body: '404 page not found\n' });
    }
    const moved = await get('//ready?x=1');
    expect(moved.status).toBe(301);
    expect(moved.res.headers.get('location')).toBe('/ready?x=1');
    expect((await get('/debug')).res.headers.get('location')).toBe('/debug/');
    expect(await get('/debug/pprof/cmdline')).toMatchObject({ status: 403, body: 'forbidden\n' });
  });

  it('hangs without answering while the hang fault is on', async () => {
    hung = true;
    await expect(fetch(`${base}/ready`, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    hung = false;
    expect((await get('/healthcheck')).status).toBe(200);
  });
});

describe('/metrics', () => {
  it('serves the text format with client_golang\'s content type, gzip on request', async () => {
    const plain = await get('/metrics');
    expect(plain.type).toBe(METRICS_CONTENT_TYPE);
    const zipped = await fetch(`${base}/metrics`, { headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(parseExposition(plain.body).errors).toEqual([]);
  });

  it('has plain series at once and vec series only once observed', async () => {
    let text = await metrics.exposition({ startedAt: 0, goroutines: 1, scrapes: { '200': 0, '500': 0, '503': 0 }, scrapesInFlight: 1 }, Date.now());
    expect(text).toContain('# HELP cloudflared_tunnel_ha_connections Number of active ha connections\n# TYPE cloudflared_tunnel_ha_connections gauge\ncloudflared_tunnel_ha_connections 0\n');
    expect(text).toContain('build_info{goversion="go1.26.0",revision="2026-08-20T09:54 UTC",type="",version="2026.8.2"} 1\n');
    expect(text).toContain('cloudflared_config_local_config_pushes 0\n');
    expect(text).not.toContain('cloudflared_tunnel_server_locations');
    expect(text).not.toContain('quic_client_');
    metrics.registerServerLocation(0, 'lax01');
    metrics.registerServerLocation(0, 'lax08');
    metrics.registerSuccess.labels({ rpcName: 'registerConnection' }).inc();
    metrics.rpcClient('registration', 'register_connection', 0.04, false);
    metrics.quic().smoothedRtt.labels({ conn_index: '0' }).set(12);
    text = await metrics.exposition({ startedAt: 0, goroutines: 1, scrapes: { '200': 0, '500': 0, '503': 0 }, scrapesInFlight: 1 }, Date.now());
    expect(text).toContain('cloudflared_tunnel_server_locations{connection_id="0",edge_location="lax01"} 0\ncloudflared_tunnel_server_locations{connection_id="0",edge_location="lax08"} 1\n');
    expect(text).toContain('cloudflared_rpc_client_latency_secs_bucket{handler="registration",method="register_connection",le="0.15000000000000002"} 1\n');
    expect(text).toContain('quic_client_total_connections 0\n');
    const read = readConnectorMetrics(parseExposition(text));
    expect(read.anomalies).toEqual([]);
    expect(read.buildInfo).toEqual({ version: '2026.8.2', goVersion: 'go1.26.0', revision: '2026-08-20T09:54 UTC', type: '' });
    expect(read.currentLocations).toEqual([{ connIndex: 0, location: 'lax08', value: 1 }]);
    expect(read.quic?.connections[0]?.smoothedRttMs).toBe(12);
    const names = parseExposition(text).families.map((f) => f.name);
    expect(names).toEqual([...names].sort());
    expect(names).toContain('go_gc_duration_seconds');
    expect(names).toContain('process_start_time_seconds');
    expect(names).toContain('promhttp_metric_handler_requests_total');
  });

  it('formats numbers like Go\'s strconv \'g\'', () => {
    expect([1, 0, -1, 1234567, 100000, 0.0001, 0.00001, 1.5e21, 2 ** 63, NaN, Infinity].map(goFloat)).toEqual([
      '1', '0', '-1', '1.234567e+06', '100000', '0.0001', '1e-05', '1.5e+21', '9.223372036854776e+18', 'NaN', '+Inf',
    ]);
    expect(writeExposition([{ name: 'x', help: 'a\\b\nc', type: 'gauge', samples: [{ name: 'x', labels: { l: 'q"\n' }, value: 2 }] }])).toBe(
      '# HELP x a\\\\b\\nc\n# TYPE x gauge\nx{l="q\\"\\n"} 2\n',
    );
  });
});

describe('backoff "up to" schedule (retry/backoffhandler.go)', () => {
  it('logs 1s after a connected slot drops, then 4s … 1m4s; a never-connected slot starts at 2s', () => {
    let now = 1000;
    const b = new BackoffHandler(5, 1000, true, () => now, new Random('x'));
    const schedule = (): number[] => {
      const out: number[] = [];
      for (let i = 0; i < 7; i++) {
        out.push(b.maxBackoffMs() ?? -1);
        const wait = b.nextWaitMs() ?? -1;
        expect(wait).toBeLessThan(Math.min(2 ** Math.min(i + 1, 5), 32) * 1000);
        now += 1;
      }
      return out;
    };
    expect(schedule()).toEqual([2000, 4000, 8000, 16000, 32000, 64000, 64000]);
    b.resetNow();
    now += 1;
    expect(schedule()).toEqual([1000, 4000, 8000, 16000, 32000, 64000, 64000]);
  });
});
