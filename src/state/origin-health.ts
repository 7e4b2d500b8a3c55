// Per-origin up/down with hysteresis, so one lost probe does not flap an origin (uptime-kuma's retries rule).
// An origin starts unknown. Its first verdict is asymmetric on purpose: one success is enough to call it up
// (nothing was wrong before), but it takes `failuresToDown` failures in a row to call it down, as from up.
// From down, `successesToUp` successes in a row bring it back. Pure: no I/O, times come from the observations.
import type { OriginObservation, OriginTargetsObservation } from './observations.js';
import type { OriginView } from './snapshot.js';

export interface OriginHysteresis {
  readonly failuresToDown: number;
  readonly successesToUp: number;
}

interface OriginEntry {
  readonly view: OriginView;
  /** Consecutive failures (reset by a success). */
  readonly failures: number;
  /** Consecutive successes (reset by a failure). */
  readonly successes: number;
}

/** Every known origin in target order. */
export interface OriginsState {
  readonly entries: readonly OriginEntry[];
}

export const initialOrigins: OriginsState = { entries: [] };

/** Replaces the target list: listed origins keep their state, new ones start unknown, unlisted ones are dropped. */
export function applyOriginTargets(state: OriginsState, o: OriginTargetsObservation): OriginsState {
  const known = new Map(state.entries.map((e) => [e.view.key, e]));
  const seen = new Set<string>();
  const entries: OriginEntry[] = [];
  for (const target of o.targets) {
    if (seen.has(target.key)) continue;
    seen.add(target.key);
    const previous = known.get(target.key);
    const base: OriginView = previous?.view ?? { key: target.key, service: target.service, state: 'unknown', since: o.at };
    const view: OriginView = { ...base, service: target.service, rule: target.rule, hostname: target.hostname };
    entries.push({ view, failures: previous?.failures ?? 0, successes: previous?.successes ?? 0 });
  }
  return { entries };
}

/** Folds one probe result into its origin; a probe for an origin that is not a target is ignored. */
export function applyOriginProbe(state: OriginsState, o: OriginObservation, options: OriginHysteresis): OriginsState {
  const index = state.entries.findIndex((e) => e.view.key === o.key);
  const entry = state.entries[index];
  if (!entry) return state;
  const entries = [...state.entries];
  entries[index] = o.ok ? succeed(entry, o, options) : fail(entry, o, options);
  return { entries };
}

function probed(view: OriginView, o: OriginObservation): OriginView {
  return { ...view, lastProbeAt: o.at, lastDurationMs: o.durationMs };
}

function succeed(entry: OriginEntry, o: OriginObservation, options: OriginHysteresis): OriginEntry {
  const view = probed(entry.view, o);
  const successes = entry.successes + 1;
  if (view.state === 'down' && successes < options.successesToUp) return { view, failures: 0, successes };
  const up: OriginView = { ...view, state: 'up', since: view.state === 'up' ? view.since : o.at, reason: undefined };
  return { view: up, failures: 0, successes };
}

function fail(entry: OriginEntry, o: OriginObservation, options: OriginHysteresis): OriginEntry {
  const reason = o.error ?? 'probe failed';
  const view: OriginView = { ...probed(entry.view, o), reason };
  const failures = entry.failures + 1;
  if (view.state === 'down' || failures < options.failuresToDown) return { view, failures, successes: 0 };
  return { view: { ...view, state: 'down', since: o.at }, failures, successes: 0 };
}

/** The origins as the snapshot shows them, in target order. */
export function originViews(state: OriginsState): readonly OriginView[] {
  return state.entries.map((e) => e.view);
}
