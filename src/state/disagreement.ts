// Disagreement between views of one connector is itself a signal (cloudflared's ha_connections gauge reads 1
// with nothing connected; the edge lags behind reconnects). Views are polled at different times, so a mismatch
// is reported only once it has lasted the grace period; a view that cannot be compared right now resets its timer.
import type { ReasonCode } from './snapshot.js';

export type DisagreementCode = Extract<ReasonCode, 'ready_disagrees' | 'ha_gauge_disagrees' | 'edge_disagrees'>;

/** When each current mismatch was first seen. */
export type DisagreementTimers = Readonly<Partial<Record<DisagreementCode, number>>>;

/** The views to compare with the registered count; undefined where a view cannot be compared right now. */
export interface ComparableViews {
  readonly registered: number;
  readonly events?: number;
  readonly ready?: number;
  readonly haGauge?: number;
  readonly edge?: { readonly connectorId: string; readonly connections: number };
}

function mismatches(v: ComparableViews): Partial<Record<DisagreementCode, string>> {
  const out: Partial<Record<DisagreementCode, string>> = {};
  if (v.ready !== undefined && v.events !== undefined && v.ready !== v.events) {
    out.ready_disagrees = `/ready reports ${v.ready} registered connections, the log events ${v.events}`;
  }
  if (v.haGauge !== undefined && v.haGauge !== v.registered) {
    out.ha_gauge_disagrees = `cloudflared_tunnel_ha_connections reads ${v.haGauge} while ${v.registered} connections are registered`;
  }
  if (v.edge !== undefined && v.edge.connections !== v.registered) {
    const { connectorId, connections } = v.edge;
    out.edge_disagrees =
      v.registered === 0
        ? `the edge lists connector ${connectorId} with ${connections} connections while none is registered locally`
        : connections === 0
          ? `the edge shows no connection of connector ${connectorId} while ${v.registered} are registered locally`
          : `the edge lists ${connections} connections of connector ${connectorId}, ${v.registered} are registered locally`;
  }
  return out;
}

/** Updates the timers at `at` and returns the mismatches that have lasted at least `graceMs`. */
export function trackDisagreements(
  previous: DisagreementTimers,
  views: ComparableViews,
  at: number,
  graceMs: number,
): { timers: DisagreementTimers; due: { code: DisagreementCode; message: string }[] } {
  const timers: Partial<Record<DisagreementCode, number>> = {};
  const due: { code: DisagreementCode; message: string }[] = [];
  for (const [code, message] of Object.entries(mismatches(views)) as [DisagreementCode, string][]) {
    const since = previous[code] ?? at;
    timers[code] = since;
    if (at - since >= graceMs) due.push({ code, message });
  }
  return { timers, due };
}
