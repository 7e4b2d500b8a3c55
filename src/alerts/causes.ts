// Which diagnosed causes explain which alert, so a notification carries the why and the fix, not only the what.
import { type CauseId, CONNECTOR_CAUSES, type Diagnosis } from '../diagnosis/index.js';
import type { AlertName } from './catalogue.js';

const ALERT_CAUSES: Partial<Record<AlertName, readonly CauseId[]>> = {
  TunnelConnectorUnhealthy: CONNECTOR_CAUSES,
  TunnelConnectorDegraded: CONNECTOR_CAUSES,
  TunnelConnectorCrashLooping: CONNECTOR_CAUSES,
  TunnelHALost: ['single_replica', 'other_tunnel', ...CONNECTOR_CAUSES],
  TunnelOriginUnreachable: ['origin_refused', 'origin_timeout', 'origin_unknown_host', 'origin_tls_untrusted', 'origin_5xx'],
  TunnelEndToEndFailing: ['tunnel_not_serving', 'tunnel_no_connector', 'tunnel_origin_error', 'tunnel_edge_error', 'origin_refused', 'origin_timeout', 'origin_unknown_host', 'origin_tls_untrusted', 'origin_5xx', ...CONNECTOR_CAUSES],
  TunnelProtocolFallback: ['quic_fallback_persists', 'udp_7844_blocked'],
  TunnelReconnectStorm: ['edge_closing_connections'],
  TunnelConnectorVersionSkew: ['version_skew'],
};

/** The `cause` and `remediation` annotations of `alert`: the diagnosed causes that explain it, most certain first. */
export function causeAnnotations(alert: AlertName, diagnosis: readonly Diagnosis[]): { cause: string; remediation: string } | undefined {
  const relevant = ALERT_CAUSES[alert] ?? [];
  const found = diagnosis.filter((d) => relevant.includes(d.cause));
  const [first] = found;
  if (first === undefined) return undefined;
  const evidence = (d: Diagnosis): string => (d.evidence[0] === undefined ? '' : ` (${d.evidence[0].text})`);
  return { cause: found.map((d) => `${d.title}${evidence(d)}`).join('; '), remediation: `${first.remediation} See ${first.runbook}` };
}
