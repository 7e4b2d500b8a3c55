// The health model's recent past, for the status page's trends: one sample per interval in a ring of
// HISTORY_SAMPLES, so memory stays the same however long tunnelwatch runs (6 hours at the default 30 s). Pure:
// snapshots and log events in, samples out; the sidecar's sampler owns the timer.
import type { LogEvent } from '../cloudflared/log/index.js';
import { applyEvent, initialConnections, type ConnectionsState } from './connections.js';
import { serviceView, type ServiceState } from './service.js';
import type { ConnectorState, HealthSnapshot } from './snapshot.js';

/** Samples kept: 720 × 30 s (server.historyInterval's default) is 6 hours. */
export const HISTORY_SAMPLES = 720;

export interface HistorySample {
  /** Unix ms. */
  readonly at: number;
  readonly state: ConnectorState;
  readonly service: ServiceState;
  readonly registered: number;
  readonly expected: number;
  readonly originsDown: number;
  /** Connections lost since the previous sample (cloudflared reconnects each), graceful shutdowns aside. */
  readonly reconnects: number;
  /** The slowest origin's last probe; absent while no origin has been probed. */
  readonly latencyMs?: number;
}

/** The history as the page draws it: the samples, oldest first, and how far apart they were taken. */
export interface HistoryView {
  readonly intervalMs: number;
  readonly samples: readonly HistorySample[];
}

/** The snapshot as one sample taken at `at` (the snapshot's own time is that of its last observation). */
export function sampleOf(s: HealthSnapshot, at: number, reconnects: number): HistorySample {
  const durations = s.origins.flatMap((o) => (o.lastDurationMs === undefined ? [] : [o.lastDurationMs]));
  return {
    at,
    state: s.state,
    service: serviceView(s).state,
    registered: s.registeredConnections,
    expected: s.expectedConnections,
    originsDown: s.origins.filter((o) => o.state === 'down').length,
    reconnects,
    ...(durations.length === 0 ? {} : { latencyMs: Math.max(...durations) }),
  };
}

/** A ring of the newest `capacity` samples. */
export class History {
  readonly #ring: (HistorySample | undefined)[];
  #next = 0;

  constructor(capacity: number = HISTORY_SAMPLES) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`History: capacity is ${String(capacity)}; expected an integer ≥ 1`);
    this.#ring = new Array<HistorySample | undefined>(capacity).fill(undefined);
  }

  push(sample: HistorySample): void {
    this.#ring[this.#next] = sample;
    this.#next = (this.#next + 1) % this.#ring.length;
  }

  /** Oldest first. */
  samples(): HistorySample[] {
    const ordered = [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
    return ordered.filter((s): s is HistorySample => s !== undefined);
  }
}

/** Connections lost, from cloudflared's log events: each loss once however many lines tell it (connections.ts). */
export class LossCounter {
  #connections: ConnectionsState = initialConnections;
  #lost = 0;

  observe(event: LogEvent): void {
    const { state, transitions } = applyEvent(this.#connections, event);
    this.#connections = state;
    this.#lost += transitions.filter((t) => t.kind === 'down' && t.cause !== 'graceful_shutdown').length;
  }

  /** The losses since the last take. */
  take(): number {
    const lost = this.#lost;
    this.#lost = 0;
    return lost;
  }
}
