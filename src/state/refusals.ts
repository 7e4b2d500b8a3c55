// Registrations the edge refused. Over HTTP/2 cloudflared logs the edge's words ("Register tunnel error from server
// side"); over QUIC 2026.8.2 drops them (a shadowed error in connection/quic_connection.go) and only its counter
// cloudflared_tunnel_tunnel_register_fail{error="server_error"} moves, so the counter is the evidence there.

export interface Refusals {
  /** The edge's error as cloudflared logged it, unless a registration succeeded since. */
  readonly logged?: string;
  /** The server_error count of the last /metrics poll (cloudflared's counter, since its start). */
  readonly serverErrors: number;
  /** The count when the connector last registered; undefined until a poll after that registration. */
  readonly baseline: number | undefined;
}

/** A new cloudflared process: its counters start at zero. */
export const freshRefusals: Refusals = { serverErrors: 0, baseline: 0 };

export const refusalLogged = (r: Refusals, error: string): Refusals => ({ ...r, logged: error });

/** A registration succeeded: earlier refusals are over; the next poll sets the new baseline. */
export const registered = (r: Refusals): Refusals => ({ serverErrors: r.serverErrors, baseline: undefined });

export const serverErrorsPolled = (r: Refusals, count: number): Refusals => ({ ...r, serverErrors: count, baseline: r.baseline ?? count });

/** Why registrations fail, in words, or undefined when nothing says they do. */
export function refusalCause(r: Refusals): string | undefined {
  if (r.logged !== undefined) return r.logged;
  if (r.baseline === undefined || r.serverErrors <= r.baseline) return undefined;
  const n = r.serverErrors - r.baseline;
  return (
    `${String(n)} registration${n === 1 ? '' : 's'} answered with an error ` +
    `(cloudflared_tunnel_tunnel_register_fail{error="server_error"} rose from ${String(r.baseline)} to ${String(r.serverErrors)}); ` +
    'cloudflared does not log the reason over QUIC, and it is usually "Unauthorized": check that the tunnel still exists and its token was not rotated'
  );
}
