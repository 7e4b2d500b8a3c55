// What a new health snapshot changed, as log records for people: the connector's state (with its reasons and
// the diagnosed causes with the fix), each origin going up or down, and the edge view appearing, changing or
// becoming unknown. Pure.
import { CONNECTOR_CAUSES, type Diagnosis } from '../diagnosis/index.js';
import { stateReasons, type HealthSnapshot } from '../state/index.js';

export interface Change {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

const STATE_LEVEL = { healthy: 'info', degraded: 'warn', down: 'error', inactive: 'warn', unknown: 'warn' } as const;

/** `diagnosis` is asked only when the state changed. */
export function describeChanges(before: HealthSnapshot, after: HealthSnapshot, diagnosis: () => readonly Diagnosis[]): Change[] {
  const out: Change[] = [];
  if (before.state !== after.state) {
    // The reasons of the state entered, not the informing ones carried along (a dead origin, a lagging /ready).
    const own = stateReasons(after.state, after.reasons);
    const counted = `${String(after.registeredConnections)} of ${String(after.expectedConnections)} HA connections registered`;
    const what = own.length === 0 ? (after.state === 'healthy' ? counted : '') : own.map((r) => r.message).join('; ');
    // Only what explains the connector's own state: a dead origin does not make it lose connections.
    const causes = after.state === 'healthy' ? [] : diagnosis().filter((d) => CONNECTOR_CAUSES.includes(d.cause));
    const [first] = causes;
    const why = first === undefined ? '' : ` — cause: ${causes.map((d) => d.title).join('; ')}. ${first.remediation}`;
    out.push({
      level: STATE_LEVEL[after.state],
      message: `connector ${before.state} -> ${after.state}${what === '' ? '' : `: ${what}`}${why}`,
      fields: {
        event: 'state_change',
        from: before.state,
        to: after.state,
        reasons: own.map((r) => r.code),
        registered: after.registeredConnections,
        expected: after.expectedConnections,
        ...(causes.length === 0 ? {} : { causes: causes.map((d) => d.cause) }),
      },
    });
  }
  // The model keeps the same array while no origin changed, so a log line costs no comparison here.
  if (before.origins !== after.origins) out.push(...originChanges(before, after));
  if (before.edge.status !== after.edge.status) {
    out.push({
      level: after.edge.status === 'unknown' ? 'warn' : 'info',
      message: `edge view ${before.edge.status} -> ${after.edge.status}${after.edge.error === undefined ? '' : `: ${after.edge.error}`}`,
      fields: { event: 'edge_change', from: before.edge.status, to: after.edge.status },
    });
  }
  return out;
}

function originChanges(before: HealthSnapshot, after: HealthSnapshot): Change[] {
  const out: Change[] = [];
  const was = new Map(before.origins.map((o) => [o.key, o.state]));
  for (const o of after.origins) {
    const previous = was.get(o.key);
    if (previous === o.state || o.state === 'unknown') continue;
    out.push({
      level: o.state === 'down' ? 'warn' : 'info',
      message: `origin ${o.key} ${o.state}${o.state === 'down' && o.reason !== undefined ? `: ${o.reason}` : ''}`,
      fields: { event: 'origin_change', origin: o.key, from: previous ?? 'unknown', to: o.state, ...(o.reason === undefined ? {} : { reason: o.reason }) },
    });
  }
  return out;
}
