// The tunnel `status` the API reports, derived from the edge's view of the tunnel's connections.
//
// Cloudflare's wording (API schema and the dashboard's "Tunnel health" table):
//   inactive  created but cloudflared has never connected
//   healthy   active and serving traffic ("through four connections")
//   degraded  running and serving traffic, but at least one individual connection has failed
//   down      was connected before, has no connection to the edge now
//
// The rule used here, applied to every connector of the tunnel together:
//   never had an active connection               -> inactive
//   no active connection now                     -> down
//   active ones, and a failed one still tracked  -> degraded
//   active ones, none failed                     -> healthy
// A "failed" connection is one the edge still tracks with is_pending_reconnect: true: it dropped without a
// clean unregister, so the connector is expected back. It stops counting when it lingers out, which is why
// the API's status lags reality by that linger. The count of active connections is deliberately not
// compared with four: the HA count is a connector flag (--ha-connections) the edge is never told, and a
// tunnel run as two replicas of two connections each is as healthy as one of four.

export type TunnelStatus = 'inactive' | 'healthy' | 'degraded' | 'down';

export interface ConnectionCounts {
  /** The tunnel has had at least one active connection at some point (conns_active_at is set). */
  readonly everActive: boolean;
  readonly active: number;
  readonly pendingReconnect: number;
}

export function tunnelStatus(counts: ConnectionCounts): TunnelStatus {
  if (!counts.everActive) return 'inactive';
  if (counts.active === 0) return 'down';
  return counts.pendingReconnect > 0 ? 'degraded' : 'healthy';
}
