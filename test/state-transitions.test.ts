import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HealthModel } from '../src/state/health-model.js';
import type { Observation } from '../src/state/observations.js';
import { CONNECTOR_STATES, type ConnectorState } from '../src/state/snapshot.js';
import { stateReasons } from '../src/state/reasons.js';
import { TRANSITION_TABLE, transitionPairs } from '../src/state/transitions.js';
import { fellBack, lost, observationsFrom, OPTIONS, proc, ready, registered, run, T0 } from './helpers/state-observations.js';

// Two HA connections expected: one registered is degraded, two are healthy.
const options = { ...OPTIONS, expectedConnections: 2 };
const T = T0 + 1000;

/** Observations that bring a fresh model to each state. */
const REACH: Record<ConnectorState, Observation[]> = {
  unknown: [],
  inactive: [proc(T, 'stopped')],
  down: [proc(T, 'running')],
  degraded: [proc(T, 'running'), registered(T + 1, 0)],
  healthy: [proc(T, 'running'), registered(T + 1, 0), registered(T + 2, 1)],
};

const S = T + 10_000;
/** For every pair the table calls possible: where to start, and the one observation that makes the change. */
const DRIVES: Record<string, { from: Observation[]; step: Observation }> = {
  'unknown>healthy': { from: REACH.unknown, step: ready(S, 2) },
  'unknown>degraded': { from: REACH.unknown, step: ready(S, 1) },
  'unknown>down': { from: REACH.unknown, step: proc(S, 'running') },
  'unknown>inactive': { from: REACH.unknown, step: proc(S, 'stopped') },
  'healthy>degraded': { from: REACH.healthy, step: lost(S, 1) },
  'healthy>down': { from: REACH.healthy, step: proc(S, 'backoff', 'exit 1') },
  'healthy>inactive': { from: REACH.healthy, step: proc(S, 'stopped', 'exit 0') },
  'degraded>healthy': { from: REACH.degraded, step: registered(S, 1) },
  'degraded>down': { from: REACH.degraded, step: lost(S, 0) },
  'degraded>inactive': { from: REACH.degraded, step: proc(S, 'stopped', 'exit 0') },
  'down>unknown': { from: REACH.down, step: proc(S, 'attached') },
  'down>healthy': { from: [proc(T, 'running'), ready(T + 1, 0)], step: ready(S, 2) },
  'down>degraded': { from: REACH.down, step: registered(S, 0) },
  'down>inactive': { from: REACH.down, step: proc(S, 'stopped') },
  'inactive>unknown': { from: REACH.inactive, step: proc(S, 'attached') },
  'inactive>down': { from: REACH.inactive, step: proc(S, 'running') },
};

function replay(observations: readonly Observation[]): HealthModel {
  const model = new HealthModel(options, T0);
  for (const o of observations) model.apply(o);
  return model;
}

describe('transition table', () => {
  it('has a rule for every pair, and none for staying in a state', () => {
    for (const from of CONNECTOR_STATES) {
      expect(Object.keys(TRANSITION_TABLE[from]).sort()).toEqual([...CONNECTOR_STATES].sort());
      expect(TRANSITION_TABLE[from][from].possible).toBe(false);
    }
    expect(transitionPairs()).toHaveLength(20);
  });

  it('the test drives exactly the pairs the table calls possible', () => {
    const possible = transitionPairs().filter((p) => p.rule.possible).map((p) => `${p.from}>${p.to}`);
    expect(Object.keys(DRIVES).sort()).toEqual(possible.sort());
  });

  it.each(transitionPairs())('$from → $to', ({ from, to, rule }) => {
    if (rule.possible) {
      const drive = DRIVES[`${from}>${to}`];
      if (!drive) throw new Error(`no drive for ${from}>${to}`);
      const model = replay(drive.from);
      expect(model.snapshot.state).toBe(from);
      const after = model.apply(drive.step);
      expect(after.state).toBe(to);
      expect(after.since).toBe(S);
      expect(after.transitions[after.transitions.length - 1]).toEqual({ at: S, from, to, reasons: stateReasons(to, after.reasons).map((r) => r.code) });
      return;
    }
    // Impossible: from `from`, no sequence of observations ever moves the model straight to `to`.
    fc.assert(
      fc.property(observationsFrom(S), (tail) => {
        const model = replay(REACH[from]);
        let previous = model.snapshot;
        expect(previous.state).toBe(from);
        for (const o of tail) {
          const s = model.apply(o);
          expect(previous.state === from && s.state === to).toBe(false);
          previous = s;
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('a transition records the reasons of the state it enters', () => {
  it('degraded -> healthy: none, though a fallback is still reported beside the state', () => {
    const { model } = run([proc(T0, 'running'), ...[0, 1, 2, 3].map((i) => registered(T0 + 1 + i, i)), fellBack(T0 + 10, 2), lost(T0 + 20, 2), registered(T0 + 30, 2, 'http2')]);
    const s = model.snapshot;
    expect(s.state).toBe('healthy');
    expect(s.reasons.map((r) => r.code)).toContain('protocol_fallback');
    expect(s.transitions.slice(-2).map((t) => [t.from, t.to, t.reasons])).toEqual([
      ['healthy', 'degraded', ['connections_missing']],
      ['degraded', 'healthy', []],
    ]);
  });
});
