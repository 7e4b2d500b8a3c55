import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorFamilies } from '../src/cloudflared/metrics/index.js';
import { buildServer } from '../src/server/app.js';
import { connectorExposition } from '../src/sidecar/connector-exposition.js';
import { fixtureRegistry, healthySnapshot } from './helpers/health-snapshots.js';

// As cloudflared 2026.8.2 writes it (families cut down), with the default Go collectors around.
const EXPOSITION = `# HELP build_info Build and version information
# TYPE build_info gauge
build_info{goversion="go1.26.0",revision="2026-08-20",type="",version="2026.8.2"} 1
# HELP cloudflared_tunnel_ha_connections Number of active ha connections
# TYPE cloudflared_tunnel_ha_connections gauge
cloudflared_tunnel_ha_connections 4
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 97
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 3.6e+07
# HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.
# TYPE promhttp_metric_handler_requests_total counter
promhttp_metric_handler_requests_total{code="200"} 12
# HELP quic_client_smoothed_rtt Calculated smoothed RTT measured on a connection in millisecond
# TYPE quic_client_smoothed_rtt gauge
quic_client_smoothed_rtt{conn_index="0"} 12
# HELP cloudflared_tunnel_response_by_code Count of responses by HTTP status code
# TYPE cloudflared_tunnel_response_by_code counter
cloudflared_tunnel_response_by_code{status_code="200"} 31
`;

describe('connectorFamilies', () => {
  it("keeps cloudflared's, QUIC's and build_info families whole, in order; drops Go, process and promhttp", () => {
    const kept = connectorFamilies(EXPOSITION);
    expect(kept.split('\n').filter((l) => !l.startsWith('#') && l !== '')).toEqual([
      'build_info{goversion="go1.26.0",revision="2026-08-20",type="",version="2026.8.2"} 1',
      'cloudflared_tunnel_ha_connections 4',
      'quic_client_smoothed_rtt{conn_index="0"} 12',
      'cloudflared_tunnel_response_by_code{status_code="200"} 31',
    ]);
    expect(kept).toContain('# TYPE cloudflared_tunnel_response_by_code counter\n');
    expect(kept).not.toMatch(/go_goroutines|process_|promhttp_/);
    expect(connectorFamilies('')).toBe('');
  });
});

describe('GET /cloudflared/metrics', () => {
  let connector: Server | undefined;
  afterEach(async () => {
    const closing = connector;
    connector = undefined;
    if (closing) await new Promise((r) => { closing.close(r); });
  });

  async function fakeConnector(status: number, body: string): Promise<string> {
    connector = createServer((req, res) => {
      res.writeHead(req.url === '/metrics' ? status : 404).end(body);
    });
    await new Promise<void>((r) => connector?.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${String((connector.address() as AddressInfo).port)}`;
  }

  const serve = (address: () => string | undefined) =>
    buildServer({ snapshot: healthySnapshot, registry: fixtureRegistry(), server: { listen: '127.0.0.1:0', readyRequiresOrigins: false }, connectorExposition: connectorExposition(address) });

  it("serves the running connector's own families as Prometheus text, fetched at scrape time", async () => {
    const at = await fakeConnector(200, EXPOSITION);
    const res = await serve(() => at).inject({ url: '/cloudflared/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toBe(connectorFamilies(EXPOSITION));
  });

  it('is a 503 that says why when the connector does not answer, so the scrape is down', async () => {
    const none = await serve(() => undefined).inject({ url: '/cloudflared/metrics' });
    expect(none.statusCode).toBe(503);
    expect(none.body).toMatch(/^cloudflared's metrics are not available: no connector is running/);
    const at = await fakeConnector(500, 'boom');
    const failing = await serve(() => at).inject({ url: '/cloudflared/metrics' });
    expect(failing.statusCode).toBe(503);
    expect(failing.body).toContain(`GET http://${at}/metrics answered HTTP 500`);
  });

  it('is not served when the option is off', async () => {
    const app = buildServer({ snapshot: healthySnapshot, registry: fixtureRegistry(), server: { listen: '127.0.0.1:0', readyRequiresOrigins: false } });
    expect((await app.inject({ url: '/cloudflared/metrics' })).statusCode).toBe(404);
  });
});

describe("the connector's /metrics answer too large", () => {
  it('names the connector and what to check, not the Cloudflare API', async () => {
    const huge: typeof fetch = () => Promise.resolve(new Response('x', { headers: { 'content-length': String(64 << 20) } }));
    const answer = await connectorExposition(() => '127.0.0.1:20241', huge)();
    expect(answer).toEqual({ ok: false, why: `GET http://127.0.0.1:20241/metrics failed: the connector's /metrics answer is ${String(64 << 20)} bytes, more than the ${String(8 << 20)} bytes read at most; check that cloudflared.metrics is the address of a cloudflared` });
  });
});
