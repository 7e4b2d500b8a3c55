// The service as visitors get it, told apart from the connector's state: a connector holding every connection
// still serves 502s for an origin that is down, so "connector healthy, one origin down" is a degraded service,
// not a contradiction. Pure: derived from the snapshot alone.
import type { HealthSnapshot, OriginView } from './snapshot.js';

export const SERVICE_STATES = ['healthy', 'degraded', 'down', 'unknown'] as const;
export type ServiceState = (typeof SERVICE_STATES)[number];

export interface ServiceView {
  /** down: nothing reaches an origin through this replica; degraded: some origins do not answer. */
  readonly state: ServiceState;
  readonly origins: { readonly up: number; readonly down: number; readonly unknown: number; readonly total: number };
  /** One sentence saying why, e.g. `1 of 3 origins down: api.example.com`. */
  readonly summary: string;
}

const nameOf = (o: OriginView): string => o.hostname ?? o.key;

export function serviceView(s: HealthSnapshot): ServiceView {
  const count = (state: OriginView['state']): number => s.origins.filter((o) => o.state === state).length;
  const origins = { up: count('up'), down: count('down'), unknown: count('unknown'), total: s.origins.length };
  const view = (state: ServiceState, summary: string): ServiceView => ({ state, origins, summary });
  if (s.state === 'inactive') return view('down', 'the connector is stopped: nothing reaches the origins through this replica');
  if (s.state === 'down') return view('down', 'the connector holds no registered connection: nothing reaches the origins through this replica');
  if (s.state === 'unknown') return view('unknown', 'nothing is known of the connector yet');
  if (origins.total === 0) return view('healthy', 'the connector serves; no origin is probed');
  const down = s.origins.filter((o) => o.state === 'down').map(nameOf);
  if (origins.down > 0 && origins.up === 0) return view('down', `every probed origin is down (${String(origins.down)} of ${String(origins.total)}): ${down.join(', ')}`);
  if (origins.down > 0) return view('degraded', `${String(origins.down)} of ${String(origins.total)} origins down: ${down.join(', ')}`);
  if (origins.up === 0) return view('unknown', 'no origin has answered a probe yet');
  return view('healthy', `${String(origins.up)} of ${String(origins.total)} origins up`);
}
