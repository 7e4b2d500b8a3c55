import { describe, expect, it } from 'vitest';
import type { OriginObservation, OriginTargetsObservation } from '../src/state/observations.js';
import { applyOriginProbe, applyOriginTargets, initialOrigins, originViews, type OriginHysteresis, type OriginsState } from '../src/state/origin-health.js';

const T = 1_790_000_000_000;
const N3M2: OriginHysteresis = { failuresToDown: 3, successesToUp: 2 };

const targets = (at: number, ...keys: string[]): OriginTargetsObservation => ({
  kind: 'origin_targets',
  at,
  targets: keys.map((key, rule) => ({ key, service: `http://127.0.0.1:${8000 + rule}`, rule, hostname: `${key}.example.com` })),
});
const probe = (at: number, key: string, ok: boolean): OriginObservation =>
  ok ? { kind: 'origin', at, key, ok, durationMs: 2 } : { kind: 'origin', at, key, ok, error: `status 503 at ${at}`, durationMs: 7 };

/** Probes `web` once per second with the given results; returns the state after each. */
function states(results: string, options: OriginHysteresis = N3M2): string[] {
  let state = applyOriginTargets(initialOrigins, targets(T, 'web'));
  return results.split('').map((r, i) => {
    state = applyOriginProbe(state, probe(T + 1000 * (i + 1), 'web', r === '+'), options);
    return originViews(state)[0]?.state ?? 'missing';
  });
}

describe('origin hysteresis', () => {
  it.each<[string, string, string[], OriginHysteresis?]>([
    ['unknown → up on the first success', '+', ['up']],
    ['unknown → down only after N failures', '---', ['unknown', 'unknown', 'down']],
    ['up → down after N failures in a row', '+---', ['up', 'up', 'up', 'down']],
    ['a success resets the failure streak', '+--+--', ['up', 'up', 'up', 'up', 'up', 'up']],
    ['down → up after M successes in a row', '---++', ['unknown', 'unknown', 'down', 'down', 'up']],
    ['a failure resets the success streak', '---+-++', ['unknown', 'unknown', 'down', 'down', 'down', 'down', 'up']],
    ['N = M = 1 follows every probe', '-+-', ['down', 'up', 'down'], { failuresToDown: 1, successesToUp: 1 }],
  ])('%s', (_name, results, expected, options) => {
    expect(states(results, options)).toEqual(expected);
  });

  it('keeps since at the last change and the reason of the failure streak', () => {
    let state: OriginsState = applyOriginTargets(initialOrigins, targets(T, 'web'));
    const step = (at: number, ok: boolean) => {
      state = applyOriginProbe(state, probe(at, 'web', ok), N3M2);
      return originViews(state)[0];
    };
    expect(originViews(state)[0]).toEqual({ key: 'web', service: 'http://127.0.0.1:8000', rule: 0, hostname: 'web.example.com', state: 'unknown', since: T });
    expect(step(T + 1, true)).toMatchObject({ state: 'up', since: T + 1, lastProbeAt: T + 1, lastDurationMs: 2 });
    expect(step(T + 2, true)).toMatchObject({ state: 'up', since: T + 1 });
    expect(step(T + 3, false)).toMatchObject({ state: 'up', since: T + 1, reason: `status 503 at ${T + 3}`, lastDurationMs: 7 });
    step(T + 4, false);
    expect(step(T + 5, false)).toMatchObject({ state: 'down', since: T + 5, reason: `status 503 at ${T + 5}` });
    expect(step(T + 6, false)).toMatchObject({ state: 'down', since: T + 5, reason: `status 503 at ${T + 6}` });
    expect(step(T + 7, true)).toMatchObject({ state: 'down', since: T + 5, reason: `status 503 at ${T + 6}` });
    const up = step(T + 8, true);
    expect(up).toMatchObject({ state: 'up', since: T + 8 });
    expect(up?.reason).toBeUndefined();
  });

  it('names a failure without an error text', () => {
    const state = applyOriginProbe(applyOriginTargets(initialOrigins, targets(T, 'web')), { kind: 'origin', at: T + 1, key: 'web', ok: false, durationMs: 1 }, N3M2);
    expect(originViews(state)[0]?.reason).toBe('probe failed');
  });

  it('ignores a probe for an origin that is not a target', () => {
    const state = applyOriginTargets(initialOrigins, targets(T, 'web'));
    expect(applyOriginProbe(state, probe(T + 1, 'other', false), N3M2)).toBe(state);
  });
});

describe('origin targets', () => {
  it('keeps listed origins, adds new ones as unknown, drops the rest, in target order', () => {
    let state = applyOriginTargets(initialOrigins, targets(T, 'web', 'api'));
    for (let i = 1; i <= 3; i++) state = applyOriginProbe(state, probe(T + i, 'web', false), N3M2);
    state = applyOriginProbe(state, probe(T + 4, 'api', true), N3M2);
    state = applyOriginTargets(state, { kind: 'origin_targets', at: T + 10, targets: [{ key: 'new', service: 'tcp://127.0.0.1:22' }, { key: 'web', service: 'http://127.0.0.1:9000', rule: 3 }] });
    expect(originViews(state).map((v) => [v.key, v.state, v.since, v.service, v.rule])).toEqual([
      ['new', 'unknown', T + 10, 'tcp://127.0.0.1:22', undefined],
      ['web', 'down', T + 3, 'http://127.0.0.1:9000', 3],
    ]);
  });

  it('a re-listed origin keeps its streak', () => {
    let state = applyOriginTargets(initialOrigins, targets(T, 'web'));
    state = applyOriginProbe(state, probe(T + 1, 'web', false), N3M2);
    state = applyOriginProbe(state, probe(T + 2, 'web', false), N3M2);
    state = applyOriginTargets(state, targets(T + 3, 'web'));
    state = applyOriginProbe(state, probe(T + 4, 'web', false), N3M2);
    expect(originViews(state)[0]?.state).toBe('down');
  });

  it('a key listed twice counts once', () => {
    const state = applyOriginTargets(initialOrigins, targets(T, 'web', 'web'));
    expect(originViews(state)).toHaveLength(1);
    expect(originViews(state)[0]?.rule).toBe(0);
  });
});
