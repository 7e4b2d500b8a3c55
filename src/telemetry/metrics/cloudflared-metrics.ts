// The cloudflared metrics that matter, re-exported under tunnelwatch's prefix in base units (seconds, bytes),
// so one scrape of the sidecar is enough. A metric cloudflared did not serve has no series here, never 0.
import type { Registry } from 'prom-client';
import type { ConnectorMetrics, QuicConnectionMetrics } from '../../cloudflared/metrics/index.js';
import { computedCounter, computedGauge, labelSet, single, type Series } from './computed-metric.js';
import type { MetricSet } from './metric-set.js';

const P = 'tunnelwatch_cloudflared_';

type Read<L extends string> = (m: ConnectorMetrics) => Iterable<Series<L>>;

function* byLabel<L extends string>(label: L, values: Readonly<Record<string, number>> | undefined): Iterable<Series<L>> {
  if (values) for (const [key, value] of Object.entries(values)) yield { labels: labelSet(label, key), value };
}

/** One series per QUIC connection slot that reports the field; `scale` turns it into base units. */
function perConn(field: keyof Omit<QuicConnectionMetrics, 'connIndex' | 'lostPackets'>, scale = 1): Read<'conn_index'> {
  return function* (m) {
    for (const c of m.quic?.connections ?? []) {
      const value = c[field];
      if (value !== undefined) yield { labels: { conn_index: String(c.connIndex) }, value: value * scale };
    }
  };
}

const MS = 1 / 1000;

/** Re-exports the typed cloudflared metrics that `read()` returns (undefined: none read yet, so no series). */
export function cloudflaredMetrics(read: () => ConnectorMetrics | undefined): MetricSet {
  return (registry: Registry) => {
    const define = <L extends string = never>(kind: 'gauge' | 'counter', name: string, help: string, labelNames: readonly L[], fn: Read<L>): void => {
      const config = {
        name: P + name,
        help,
        labelNames,
        read: (): Iterable<Series<L>> => {
          const m = read();
          return m ? fn(m) : [];
        },
      };
      if (kind === 'gauge') computedGauge(registry, config);
      else computedCounter(registry, config);
    };

    define('gauge', 'build_info', "Always 1; labels give the cloudflared version and the Go version it was built with.", ['version', 'go_version'], (m) =>
      m.buildInfo ? [{ labels: { version: m.buildInfo.version, go_version: m.buildInfo.goVersion }, value: 1 }] : [],
    );
    define('gauge', 'ha_connections', "cloudflared's own count of HA connection slots that are dialing or connected (cloudflared_tunnel_ha_connections; it can overstate registered connections).", [], (m) => single(m.haConnections));
    define('gauge', 'server_locations_info', 'Always 1; the edge location (colo) each HA connection slot is connected to now (cloudflared_tunnel_server_locations).', ['conn_index', 'location'], (m) =>
      (m.currentLocations ?? []).map((l) => ({ labels: { conn_index: String(l.connIndex), location: l.location }, value: 1 })),
    );
    define('counter', 'register_success_total', 'Successful registrations of a connection with the edge, every reconnect included (cloudflared_tunnel_tunnel_register_success).', [], (m) => single(m.registerSuccessTotal));
    define('counter', 'register_fail_total', 'Failed registrations of a connection with the edge, by error (cloudflared_tunnel_tunnel_register_fail).', ['error'], (m) => byLabel('error', m.registerFailByError));
    define('counter', 'requests_total', 'Requests cloudflared proxied to origins (cloudflared_tunnel_total_requests).', [], (m) => single(m.totalRequests));
    define('counter', 'request_errors_total', 'Requests cloudflared failed to proxy, e.g. origin unreachable (cloudflared_tunnel_request_errors).', [], (m) => single(m.requestErrors));
    define('gauge', 'concurrent_requests', 'Requests in flight through cloudflared (cloudflared_tunnel_concurrent_requests_per_tunnel).', [], (m) => single(m.concurrentRequests));
    define('counter', 'responses_total', 'Responses cloudflared received from origins, by HTTP status code (cloudflared_tunnel_response_by_code).', ['status_code'], (m) => byLabel('status_code', m.responsesByCode));
    define('gauge', 'config_version', 'Version of the remote configuration cloudflared applied last; 0 for a local config (cloudflared_orchestration_config_version).', [], (m) => single(m.configVersion));
    define('gauge', 'tcp_active_sessions', 'WARP-routing TCP sessions in flight (cloudflared_tcp_active_sessions).', [], (m) => single(m.tcpActiveSessions));

    define('counter', 'quic_connections_total', 'QUIC connections cloudflared started (quic_client_total_connections).', [], (m) => single(m.quic?.totalConnections));
    define('counter', 'quic_closed_connections_total', 'QUIC connections cloudflared closed (quic_client_closed_connections).', [], (m) => single(m.quic?.closedConnections));
    define('gauge', 'quic_smoothed_rtt_seconds', 'Smoothed round-trip time of the QUIC connection of each HA slot (quic_client_smoothed_rtt).', ['conn_index'], perConn('smoothedRttMs', MS));
    define('gauge', 'quic_min_rtt_seconds', 'Minimum round-trip time of the QUIC connection of each HA slot (quic_client_min_rtt).', ['conn_index'], perConn('minRttMs', MS));
    define('gauge', 'quic_latest_rtt_seconds', 'Latest round-trip time of the QUIC connection of each HA slot (quic_client_latest_rtt).', ['conn_index'], perConn('latestRttMs', MS));
    define('gauge', 'quic_congestion_window_bytes', 'Congestion window of the QUIC connection of each HA slot (quic_client_congestion_window).', ['conn_index'], perConn('congestionWindowBytes'));
    define('gauge', 'quic_congestion_state', 'Congestion state of the QUIC connection of each HA slot, as cloudflared numbers it (quic_client_congestion_state).', ['conn_index'], perConn('congestionState'));
    define('gauge', 'quic_mtu_bytes', 'Path MTU of the QUIC connection of each HA slot (quic_client_mtu).', ['conn_index'], perConn('mtuBytes'));
    define('gauge', 'quic_max_udp_payload_bytes', "Largest UDP payload the edge accepts on each HA slot's QUIC connection (quic_client_max_udp_payload).", ['conn_index'], perConn('maxUdpPayloadBytes'));
    define('counter', 'quic_sent_bytes_total', 'Bytes sent on the QUIC connection of each HA slot (quic_client_sent_bytes).', ['conn_index'], perConn('sentBytes'));
    define('counter', 'quic_received_bytes_total', 'Bytes received on the QUIC connection of each HA slot (quic_client_receive_bytes).', ['conn_index'], perConn('receivedBytes'));
    define('counter', 'quic_lost_packets_total', 'Packets lost on the QUIC connection of each HA slot, by loss-detection reason (quic_client_lost_packets).', ['conn_index', 'reason'], function* (m) {
      for (const c of m.quic?.connections ?? []) {
        for (const [reason, value] of Object.entries(c.lostPackets ?? {})) yield { labels: { conn_index: String(c.connIndex), reason }, value };
      }
    });

    define('gauge', 'process_start_time_seconds', 'Unix time the cloudflared process started.', [], (m) => single(m.process.startTimeSeconds));
    define('gauge', 'process_resident_memory_bytes', 'Resident memory of the cloudflared process.', [], (m) => single(m.process.residentMemoryBytes));
    define('counter', 'process_cpu_seconds_total', 'CPU time the cloudflared process used, user and system.', [], (m) => single(m.process.cpuSecondsTotal));
    define('gauge', 'process_open_fds', 'Open file descriptors of the cloudflared process.', [], (m) => single(m.process.openFds));
  };
}
