import { describe, expect, it } from 'vitest';
import { readConnectorMetrics } from '../src/cloudflared/metrics/connector-metrics.js';
import { parseExposition } from '../src/cloudflared/metrics/exposition.js';
import { UPDATE_GOLDEN, readGolden, readProm, toGoldenValue, writeGolden } from './fixtures/metrics/golden.js';

const CLOUDFLARED_CASES = [
  'healthy-2026.8.2',
  'starting-2026.8.2',
  'http2-2026.8.2',
  'legacy-2024.5.0',
  'legacy-2022.10.3-h2mux',
];

function read(text: string): ReturnType<typeof readConnectorMetrics> {
  return readConnectorMetrics(parseExposition(text));
}

describe('readConnectorMetrics golden files', () => {
  for (const name of CLOUDFLARED_CASES) {
    it(`reads ${name}.prom as ${name}.connector.json`, () => {
      const metrics = read(readProm(name));
      if (UPDATE_GOLDEN) writeGolden(name, 'connector', metrics);
      expect(toGoldenValue(metrics)).toEqual(readGolden(name, 'connector'));
    });
  }
});

describe('readConnectorMetrics', () => {
  it('reads a healthy 2026.8.2 connector (reference §3.8 steady state)', () => {
    const m = read(readProm('healthy-2026.8.2'));
    expect(m.haConnections).toBe(4);
    expect(m.currentLocations?.map((l) => `${l.connIndex}:${l.location}`)).toEqual(['0:lax01', '1:sjc01', '2:lax08', '3:sjc05']);
    expect(m.serverLocations).toContainEqual({ connIndex: 1, location: 'lax05', value: 0 });
    expect(m.registerSuccessTotal).toBeGreaterThanOrEqual(4);
    expect((m.quic?.totalConnections ?? 0) - (m.quic?.closedConnections ?? 0)).toBe(4);
    expect(m.quic?.connections.map((c) => c.smoothedRttMs)).toEqual([10, 18, 10, 19]);
    expect(m.buildInfo).toEqual({ version: '2026.8.2', goVersion: 'go1.26.4', revision: '2026-08-14-11:31 UTC', type: '' });
    expect(m.legacy).toEqual([]);
    expect(m.anomalies).toEqual([]);
  });

  it('tells "not served" (undefined) from a served zero', () => {
    const m = read(readProm('starting-2026.8.2'));
    expect(m.haConnections).toBe(0);
    expect(m.totalRequests).toBe(0);
    expect(m.configVersion).toBe(0);
    expect(m.serverLocations).toBeUndefined();
    expect(m.currentLocations).toBeUndefined();
    expect(m.registerSuccessTotal).toBeUndefined();
    expect(m.registerFailTotal).toBeUndefined();
    expect(m.responsesByCode).toBeUndefined();
    expect(m.quic).toBeUndefined();
  });

  it('reads an HTTP/2 connector: no QUIC, registration failures by error', () => {
    const m = read(readProm('http2-2026.8.2'));
    expect(m.quic).toBeUndefined();
    expect(m.registerFailTotal).toBe(1);
    expect(m.registerFailByError).toEqual({ dup_edge_conn: 1 });
    expect(m.tcpActiveSessions).toBe(1);
  });

  it('names the legacy families of old versions', () => {
    expect(read(readProm('legacy-2024.5.0')).legacy).toEqual([
      'cloudflared_tunnel_active_streams',
      'cloudflared_tunnel_timer_retries',
      'cloudflared_tunnel_tunnel_authenticate_success',
    ]);
    const h2mux = read(readProm('legacy-2022.10.3-h2mux')).legacy;
    expect(h2mux).toContain('cloudflared_muxer_rtt');
    expect(h2mux.filter((n) => n.startsWith('cloudflared_muxer_'))).toHaveLength(18);
  });

  it('reports a known metric served with an unexpected type, and still reads it', () => {
    const m = read('# TYPE cloudflared_tunnel_ha_connections counter\ncloudflared_tunnel_ha_connections 2\nprocess_open_fds 9\n');
    expect(m.haConnections).toBe(2);
    expect(m.process.openFds).toBe(9);
    expect(m.anomalies).toEqual([
      'cloudflared_tunnel_ha_connections is served as counter; expected gauge',
      'process_open_fds is served as untyped; expected gauge',
    ]);
  });

  it('reports several series where one is expected, and bad slot labels', () => {
    const m = read(
      [
        '# TYPE cloudflared_tunnel_ha_connections gauge',
        'cloudflared_tunnel_ha_connections{pod="a"} 4',
        'cloudflared_tunnel_ha_connections{pod="b"} 3',
        '# TYPE cloudflared_tunnel_server_locations gauge',
        'cloudflared_tunnel_server_locations{connection_id="x",edge_location="lax01"} 1',
        'cloudflared_tunnel_server_locations{connection_id="2"} 1',
        'cloudflared_tunnel_server_locations{connection_id="1",edge_location="sjc01"} 1',
        '# TYPE quic_client_mtu gauge',
        'quic_client_mtu 1452',
      ].join('\n'),
    );
    expect(m.haConnections).toBe(4);
    expect(m.serverLocations).toEqual([{ connIndex: 1, location: 'sjc01', value: 1 }]);
    expect(m.quic).toEqual({ connections: [] });
    expect(m.anomalies).toEqual([
      'cloudflared_tunnel_server_locations has connection_id="x"; expected a slot number',
      'cloudflared_tunnel_server_locations has no edge_location label',
      'quic_client_mtu has no conn_index label',
      'cloudflared_tunnel_ha_connections has 2 series; expected one, used the first',
    ]);
  });

  it('reads what survives in a damaged exposition', () => {
    const m = read(readProm('garbage'));
    expect(m.haConnections).toBe(4);
    expect(m.totalRequests).toBe(18231);
    expect(m.requestErrors).toBeUndefined();
    expect(m.responsesByCode).toEqual({ '404': 171 });
    expect(m.quic?.connections).toEqual([{ connIndex: 1, smoothedRttMs: 18 }]);
  });

  it('reads nothing from an empty exposition', () => {
    expect(toGoldenValue(read(''))).toEqual({ process: {}, legacy: [], anomalies: [] });
  });
});
