// What to do about each reason when no diagnosed cause explains it, which causes do explain it, and which runbook
// covers it. One entry per reason code: a new code does not compile without its next step.
import { CONNECTOR_CAUSES, type CauseId } from '../../diagnosis/index.js';
import type { ReasonCode } from '../../state/index.js';

export interface NextStep {
  /** Diagnosed causes that explain the reason; shown with their evidence and fix instead of `step`. */
  readonly causes: readonly CauseId[];
  readonly step: string;
  /** A page under the runbook base URL (alerts.runbookBaseUrl). */
  readonly runbook: string;
}

const ORIGIN_CAUSES: readonly CauseId[] = ['origin_refused', 'origin_timeout', 'origin_unknown_host', 'origin_tls_untrusted', 'origin_5xx'];

export const NEXT_STEPS: Readonly<Record<ReasonCode, NextStep>> = {
  no_data: {
    causes: [],
    step: 'tunnelwatch has only just started: wait one cloudflared.pollInterval. If it stays, check that cloudflared starts (the process line above) and that cloudflared.metrics is the address it serves /ready on.',
    runbook: 'TunnelConnectorUnhealthy.md',
  },
  process_not_running: {
    causes: CONNECTOR_CAUSES,
    step: 'cloudflared is stopped: read its last exit above and the records before it. A fenced replica is held down on purpose (see Actions).',
    runbook: 'TunnelConnectorUnhealthy.md',
  },
  process_restarting: {
    causes: CONNECTOR_CAUSES,
    step: 'cloudflared exited and restarts after its backoff: read its last exit and its last error lines in the records.',
    runbook: 'TunnelConnectorCrashLooping.md',
  },
  crash_loop: {
    causes: CONNECTOR_CAUSES,
    step: 'Restarts have stopped after repeated crashes: fix what its last error lines say, then restart tunnelwatch (or the pod).',
    runbook: 'TunnelConnectorCrashLooping.md',
  },
  no_connections: {
    causes: CONNECTOR_CAUSES,
    step: 'No connection is registered with the edge: check outbound TCP and UDP 7844 to the edge (tunnelwatch doctor) and cloudflared\'s last error lines.',
    runbook: 'TunnelConnectorUnhealthy.md',
  },
  connections_missing: {
    causes: [...CONNECTOR_CAUSES, 'edge_closing_connections'],
    step: 'Some HA connections are missing: cloudflared retries them by itself; if it lasts, check the connections table for the missing indexes and cloudflared\'s errors for them.',
    runbook: 'TunnelConnectorDegraded.md',
  },
  registration_refused: {
    causes: ['credentials_rejected', 'tunnel_not_found', 'token_malformed'],
    step: 'The edge refuses the registration: check that the token belongs to this tunnel and was not rotated.',
    runbook: 'TunnelConnectorUnhealthy.md',
  },
  protocol_fallback: {
    causes: ['quic_fallback_persists', 'udp_7844_blocked'],
    step: 'cloudflared fell back to HTTP/2: allow outbound UDP 7844, then restart it to get QUIC back (or set supervisor.restoreQuicAfter).',
    runbook: 'TunnelProtocolFallback.md',
  },
  reconnect_storm: {
    causes: ['edge_closing_connections'],
    step: 'Connections keep dropping: look at the Reconnects trend and at the error lines of the lost connections (network path, NAT or firewall timeouts, edge maintenance).',
    runbook: 'TunnelReconnectStorm.md',
  },
  ready_disagrees: {
    causes: [],
    step: 'cloudflared\'s /ready disagrees with its log: compare the counts under Registered connections by view; if it lasts, restart cloudflared.',
    runbook: 'TunnelConnectorDegraded.md',
  },
  ha_gauge_disagrees: {
    causes: [],
    step: 'cloudflared\'s ha_connections gauge disagrees with its log: compare the counts under Registered connections by view; if it lasts, restart cloudflared.',
    runbook: 'TunnelConnectorDegraded.md',
  },
  edge_disagrees: {
    causes: ['other_tunnel', 'single_replica'],
    step: 'The Cloudflare API sees other connections than cloudflared reports: compare the Edge view with the connections table; the API lags a drop by up to a few minutes.',
    runbook: 'TunnelHALost.md',
  },
  edge_unknown: {
    causes: [],
    step: 'The Cloudflare API does not answer: check edge.apiToken (read-only Cloudflare Tunnel scope), edge.accountId and the API budget; the tunnel itself is not affected.',
    runbook: 'TunnelEdgeAPIUnavailable.md',
  },
  connector_unreachable: {
    causes: ['metrics_port_in_use', 'connector_hung'],
    step: 'tunnelwatch cannot read cloudflared\'s /ready or /metrics: check that cloudflared.metrics matches the address cloudflared serves and that the process is alive.',
    runbook: 'TunnelConnectorUnhealthy.md',
  },
  origins_down: {
    causes: ORIGIN_CAUSES,
    step: 'Probes of an origin fail, so visitors get 502s for it: check the service from this host (the Origins table has the last error).',
    runbook: 'TunnelOriginUnreachable.md',
  },
};
