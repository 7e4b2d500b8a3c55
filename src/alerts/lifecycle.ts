// The state machine of one alert instance, the same as Prometheus's: inactive → pending while the condition
// holds → firing once it has held for `for` → (condition false) still firing for `keep_firing_for`, so a short
// flap neither resolves nor re-fires → resolved, kept RESOLVED_RETENTION_MS so the resolve can be re-sent.
// Pure: the previous lifecycle, whether the condition holds, and the evaluation time in; the next one out.
import { RESOLVED_RETENTION_MS } from './catalogue.js';

export type AlertState = 'pending' | 'firing' | 'resolved';

export interface Lifecycle {
  readonly state: AlertState;
  /** When the condition started to hold (Prometheus's activeAt). */
  readonly activeAt: number;
  /** When the instance started firing; Alertmanager's startsAt. */
  readonly firedAt?: number;
  /** The first evaluation, while firing, at which the condition no longer held. */
  readonly keepFiringSince?: number;
  readonly resolvedAt?: number;
}

export interface Durations {
  readonly forMs: number;
  readonly keepFiringForMs: number;
}

/** The next lifecycle of an instance; undefined when it is (back to) inactive. */
export function step(prev: Lifecycle | undefined, holds: boolean, now: number, d: Durations): Lifecycle | undefined {
  if (holds) {
    if (prev === undefined || prev.state === 'resolved') return promote({ state: 'pending', activeAt: now }, now, d);
    if (prev.state === 'pending') return promote(prev, now, d);
    return { state: 'firing', activeAt: prev.activeAt, firedAt: prev.firedAt ?? now };
  }
  if (prev === undefined || prev.state === 'pending') return undefined;
  if (prev.state === 'resolved') return now - (prev.resolvedAt ?? now) >= RESOLVED_RETENTION_MS ? undefined : prev;
  const since = prev.keepFiringSince ?? now;
  if (now - since < d.keepFiringForMs) return { ...prev, keepFiringSince: since };
  return { state: 'resolved', activeAt: prev.activeAt, firedAt: prev.firedAt ?? now, resolvedAt: now };
}

function promote(pending: Lifecycle, now: number, d: Durations): Lifecycle {
  return now - pending.activeAt >= d.forMs ? { state: 'firing', activeAt: pending.activeAt, firedAt: now } : pending;
}
