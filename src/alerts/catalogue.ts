// The built-in alerts: names, severities, default durations and thresholds, label sets and annotations. The
// Prometheus rules in alerts/*.yaml must match this list (a test keeps them equal), so every condition here is
// one PromQL can state over tunnelwatch's own metrics; the PromQL form is noted beside each definition.
// Annotations use Prometheus template syntax and only `{{ $labels.<name> }}`, so both engines render them the same.
import type { ALERT_NAMES } from '../config/index.js';

export type AlertName = (typeof ALERT_NAMES)[number];
export type Severity = 'critical' | 'warning' | 'info';

export interface AlertDefinition {
  readonly alert: AlertName;
  readonly severity: Severity;
  /** Default `for`. */
  readonly forMs: number;
  /** Default `keep_firing_for`. */
  readonly keepFiringForMs: number;
  /** e.g. days for certificates, restarts for crash loop. */
  readonly threshold?: number;
  readonly summary: string;
  readonly description: string;
  /** Label names the alert carries besides alertname and severity; identical in the Prometheus rule. */
  readonly labels: readonly string[];
  /** 'prometheus' only when a single replica cannot evaluate it. */
  readonly engine: 'both' | 'prometheus';
}

/** Window of TunnelConnectorCrashLooping's restart count (`increase(...[10m])`); the supervisor's crashLoopWindow default. */
export const CRASH_LOOP_WINDOW_MS = 10 * 60_000;
/** Window in which a dropped log record counts for TunnelLogShippingBehind (`increase(...[10m]) > 0`). */
export const LOG_DROP_WINDOW_MS = 10 * 60_000;
/** How long a resolved alert is still sent to Alertmanager, so a lost resolve notification is repeated. */
export const RESOLVED_RETENTION_MS = 5 * 60_000;

const MIN = 60_000;
const REPLICA = ['tunnel_id', 'replica'] as const;
const ON = 'of tunnel {{ $labels.tunnel_id }} on replica {{ $labels.replica }}';

export const BUILTIN_ALERTS: readonly AlertDefinition[] = [
  // tunnelwatch_connector_state{state="down"} == 1
  {
    alert: 'TunnelConnectorUnhealthy',
    severity: 'critical',
    forMs: 5 * MIN,
    keepFiringForMs: 2 * MIN,
    summary: `Connector ${ON} has no registered connection`,
    description: 'The cloudflared connector holds no connection registered with the Cloudflare edge, so this replica serves no traffic. /status lists the reasons.',
    labels: REPLICA,
    engine: 'both',
  },
  // 0 < tunnelwatch_connector_registered_connections < tunnelwatch_connector_expected_connections
  // (0 is TunnelConnectorUnhealthy's case, so one outage never raises both).
  {
    alert: 'TunnelConnectorDegraded',
    severity: 'warning',
    forMs: 10 * MIN,
    keepFiringForMs: 5 * MIN,
    summary: `Connector ${ON} holds fewer HA connections than expected`,
    description: 'Some, but not all, of the HA connections cloudflared is expected to hold are registered with the edge; the connector has less redundancy against an edge location failing.',
    labels: REPLICA,
    engine: 'both',
  },
  // increase(tunnelwatch_connector_restarts_total[10m]) > threshold or tunnelwatch_connector_crash_loop == 1
  {
    alert: 'TunnelConnectorCrashLooping',
    severity: 'critical',
    forMs: 0,
    keepFiringForMs: 10 * MIN,
    threshold: 3,
    summary: `cloudflared ${ON} keeps restarting`,
    description: 'cloudflared restarted more often in the last 10 minutes than the threshold (3 by default), or the crash-loop breaker is open and tunnelwatch has stopped restarting it.',
    labels: REPLICA,
    engine: 'both',
  },
  // Built in: connectors the Cloudflare API lists with at least one connection that is not pending reconnect.
  // PromQL: sum by (tunnel_id) of replicas in state healthy or degraded (at least one live connection) < threshold.
  // Only tunnel_id: every replica sends the identical alert, and Alertmanager deduplicates it.
  {
    alert: 'TunnelHALost',
    severity: 'critical',
    forMs: 5 * MIN,
    keepFiringForMs: 2 * MIN,
    threshold: 2,
    summary: 'Tunnel {{ $labels.tunnel_id }} has too few healthy connectors for high availability',
    description: 'The Cloudflare edge lists fewer healthy connectors than the threshold (2 by default) for the tunnel: one more connector or host failure takes it down. Check the replicas that are missing from the edge view on /status.',
    labels: ['tunnel_id'],
    engine: 'both',
  },
  // A replica knows only its own zone, so only Prometheus, seeing every replica, can evaluate this:
  // count by (tunnel_id) (count by (tunnel_id, zone) (healthy replicas joined with tunnelwatch_tunnel_info{zone!=""})) == 1
  {
    alert: 'TunnelReplicasSameZone',
    severity: 'warning',
    forMs: 15 * MIN,
    keepFiringForMs: 0,
    summary: 'Every healthy connector of tunnel {{ $labels.tunnel_id }} runs in zone {{ $labels.zone }}',
    description: 'All healthy replicas run in one zone, so a single zone outage takes the tunnel down. Spread the replicas with a topology spread constraint or pod anti-affinity.',
    labels: ['tunnel_id', 'zone'],
    engine: 'prometheus',
  },
  // tunnelwatch_origin_up == 0
  {
    alert: 'TunnelOriginUnreachable',
    severity: 'warning',
    forMs: 2 * MIN,
    keepFiringForMs: 1 * MIN,
    summary: `Origin {{ $labels.origin }} is unreachable from replica {{ $labels.replica }} of tunnel {{ $labels.tunnel_id }}`,
    description: 'Probes of the origin fail, so requests the tunnel routes to it end in 502 errors. /status shows the last probe error.',
    labels: [...REPLICA, 'origin'],
    engine: 'both',
  },
  // tunnelwatch_end_to_end_success == 0, per URL of endToEnd.urls.
  {
    alert: 'TunnelEndToEndFailing',
    severity: 'critical',
    forMs: 3 * MIN,
    keepFiringForMs: 1 * MIN,
    summary: 'Requests to {{ $labels.url }} through tunnel {{ $labels.tunnel_id }} fail, as replica {{ $labels.replica }} makes them',
    description: "Requests through the tunnel, made as a visitor makes them, stop at Cloudflare's error pages or get no answer, even when the connector looks healthy (an HTTP/2 connection that stopped serving). tunnelwatch_end_to_end_verdict and /status say where they stop.",
    labels: [...REPLICA, 'url'],
    engine: 'both',
  },
  // tunnelwatch_origin_tls_cert_not_after_timestamp_seconds - time() < threshold * 86400
  {
    alert: 'TunnelOriginCertificateExpiring',
    severity: 'warning',
    forMs: 10 * MIN,
    keepFiringForMs: 0,
    threshold: 14,
    summary: 'TLS certificate of origin {{ $labels.origin }} expires soon',
    description: 'The TLS certificate the origin presents expires within the warning threshold (14 days by default). Renew it before cloudflared stops trusting it.',
    labels: [...REPLICA, 'origin'],
    engine: 'both',
  },
  {
    alert: 'TunnelOriginCertificateExpiring',
    severity: 'critical',
    forMs: 10 * MIN,
    keepFiringForMs: 0,
    threshold: 3,
    summary: 'TLS certificate of origin {{ $labels.origin }} expires within days',
    description: 'The TLS certificate the origin presents expires within the critical threshold (3 days by default); after that, requests to it fail.',
    labels: [...REPLICA, 'origin'],
    engine: 'both',
  },
  // count(tunnelwatch_connection_info{protocol="http2"} * on (conn_index) group_left tunnelwatch_connection_up == 1) > 0
  {
    alert: 'TunnelProtocolFallback',
    severity: 'warning',
    forMs: 30 * MIN,
    keepFiringForMs: 5 * MIN,
    summary: `Connector ${ON} uses http2 instead of quic`,
    description: 'Registered connections use http2: cloudflared fell back from QUIC, usually because outbound UDP 7844 is blocked. Disable this alert if cloudflared.protocol is http2 on purpose.',
    labels: REPLICA,
    engine: 'both',
  },
  // tunnelwatch_connector_reason{reason="reconnect_storm"} == 1
  {
    alert: 'TunnelReconnectStorm',
    severity: 'warning',
    forMs: 5 * MIN,
    keepFiringForMs: 5 * MIN,
    summary: `Connector ${ON} keeps reconnecting to the edge`,
    description: 'Connections to the edge drop and re-register again and again; requests in flight fail at each drop. Look for an unstable network path, a proxy or a middlebox timing out idle UDP.',
    labels: REPLICA,
    engine: 'both',
  },
  // Built in: distinct versions among the connectors the Cloudflare API lists.
  // PromQL: count by (tunnel_id) (count by (tunnel_id, version) (tunnelwatch_cloudflared_build_info joined with tunnelwatch_tunnel_info)) > 1.
  {
    alert: 'TunnelConnectorVersionSkew',
    severity: 'warning',
    forMs: 60 * MIN,
    keepFiringForMs: 0,
    summary: 'Connectors of tunnel {{ $labels.tunnel_id }} run different cloudflared versions',
    description: 'The connectors of the tunnel report different cloudflared versions for longer than a rolling upgrade takes. Finish or roll back the upgrade.',
    labels: ['tunnel_id'],
    engine: 'both',
  },
  // Built in: the Cloudflare API is configured but its view is unknown. PromQL: tunnelwatch_collector_success{collector="edge"} == 0.
  {
    alert: 'TunnelEdgeAPIUnavailable',
    severity: 'warning',
    forMs: 10 * MIN,
    keepFiringForMs: 2 * MIN,
    summary: 'Replica {{ $labels.replica }} cannot read tunnel {{ $labels.tunnel_id }} from the Cloudflare API',
    description: "tunnelwatch cannot reach the Cloudflare API or the API refuses its token, so the edge view (other replicas, HA, versions) is unknown. /status shows the API's error.",
    labels: REPLICA,
    engine: 'both',
  },
  // max(tunnelwatch_log_spool_oldest_age_seconds) > threshold or sum(increase(tunnelwatch_log_records_dropped_total[10m])) > 0
  {
    alert: 'TunnelLogShippingBehind',
    severity: 'warning',
    forMs: 5 * MIN,
    keepFiringForMs: 5 * MIN,
    threshold: 300,
    summary: 'Replica {{ $labels.replica }} of tunnel {{ $labels.tunnel_id }} is behind shipping logs',
    description: 'A log sink has records waiting longer than the threshold (300 seconds by default), or records were dropped in the last 10 minutes. Check that Loki or the syslog receiver is reachable.',
    labels: REPLICA,
    engine: 'both',
  },
  // max by (tunnel_id, replica) (tunnelwatch_config_insecure) > 0 (the caller passes the findings that metric counts).
  {
    alert: 'TunnelConfigInsecure',
    severity: 'warning',
    forMs: 0,
    keepFiringForMs: 0,
    summary: `cloudflared configuration ${ON} is insecure`,
    description: "cloudflared's configuration turns off a protection, e.g. noTLSVerify instead of caPool, or a top-level access setting cloudflared ignores. tunnelwatch's log names each finding.",
    labels: REPLICA,
    engine: 'both',
  },
  // vector(1): a dead man's switch; no labels, so every replica sends the same alert.
  {
    alert: 'Watchdog',
    severity: 'info',
    forMs: 0,
    keepFiringForMs: 0,
    summary: 'Alerting pipeline is working',
    description: 'Always firing. Route it to a dead man\'s switch that alerts when it stops arriving.',
    labels: [],
    engine: 'both',
  },
];

/** Where the runbook of `alert` lives: `<baseUrl>/<alert>.md`. */
export function runbookUrl(alert: string, baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${alert}.md`;
}
