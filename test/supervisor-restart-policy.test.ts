import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../src/config/schema.js';
import { describeReason, policyOptions, RestartPolicy, type RestartReason } from '../src/supervisor/restart-policy.js';

const crash: RestartReason = { kind: 'exit', code: 1 };
const base = { initialMs: 100, maxMs: 1000, crashLoopRestarts: 5, windowMs: 60_000, resetAfterMs: 1000, random: () => 1 };

interface Step {
  readonly at: number;
  readonly up: number;
  readonly expect: number | 'give_up';
  readonly reason?: RestartReason;
}

/** Runs the steps in order against one policy; `expect` is the delay (random = 1) or give_up. */
function run(steps: readonly Step[], options: Partial<typeof base> = {}): (number | 'give_up')[] {
  const p = new RestartPolicy({ ...base, ...options });
  return steps.map((s) => {
    const d = p.decide(s.reason ?? crash, s.up, s.at);
    return d.action === 'restart' ? d.delayMs : 'give_up';
  });
}

describe('RestartPolicy', () => {
  it.each<[string, Step[], Partial<typeof base>]>([
    ['doubles from initial up to max', [0, 1, 2, 3, 4].map((i) => ({ at: i * 10, up: 0, expect: [100, 200, 400, 800, 1000][i] ?? 0 })), {}],
    ['stays at max', [0, 1, 2, 3].map((i) => ({ at: i, up: 0, expect: [100, 200, 200, 200][i] ?? 0 })), { maxMs: 200 }],
    ['a long enough run resets the backoff', [
      { at: 0, up: 0, expect: 100 }, { at: 1, up: 999, expect: 200 }, { at: 2, up: 1000, expect: 100 }, { at: 3, up: 0, expect: 200 },
    ], {}],
    ['zero initial backoff restarts at once', [{ at: 0, up: 0, expect: 0 }, { at: 1, up: 0, expect: 0 }], { initialMs: 0 }],
    ['more than N restarts in the window opens the breaker', [
      { at: 0, up: 0, expect: 100 }, { at: 1, up: 0, expect: 200 }, { at: 2, up: 0, expect: 'give_up' }, { at: 100_000, up: 0, expect: 'give_up' },
    ], { crashLoopRestarts: 2 }],
    ['restarts older than the window are forgotten', [
      { at: 0, up: 0, expect: 100 }, { at: 30_000, up: 5000, expect: 100 }, { at: 60_000, up: 5000, expect: 100 }, { at: 60_001, up: 0, expect: 'give_up' },
    ], { crashLoopRestarts: 2 }],
    ['every reason counts the same', [
      { at: 0, up: 0, expect: 100, reason: { kind: 'signal', signal: 'SIGSEGV' } },
      { at: 1, up: 0, expect: 200, reason: { kind: 'hang' } },
      { at: 2, up: 0, expect: 400, reason: { kind: 'disconnected_too_long' } },
      { at: 3, up: 0, expect: 'give_up', reason: { kind: 'start_failed', error: 'ENOENT' } },
    ], { crashLoopRestarts: 3 }],
  ])('%s', (_name, steps, options) => {
    expect(run(steps, options)).toEqual(steps.map((s) => s.expect));
  });

  it('equal jitter: half the ceiling plus random × the other half, so never an immediate restart', () => {
    const values = [0, 0.5, 0.999];
    const p = new RestartPolicy({ ...base, random: () => values.shift() ?? 0 });
    expect([p.decide(crash, 0, 0), p.decide(crash, 0, 1), p.decide(crash, 0, 2)]).toEqual([
      { action: 'restart', delayMs: 50, attempt: 1 },
      { action: 'restart', delayMs: 150, attempt: 2 },
      { action: 'restart', delayMs: 399, attempt: 3 },
    ]);
  });

  it('records why the breaker opened, and reset() closes it', () => {
    const p = new RestartPolicy({ ...base, crashLoopRestarts: 1 });
    expect(p.decide(crash, 0, 0).action).toBe('restart');
    const last: RestartReason = { kind: 'exit', code: 255 };
    expect(p.decide(last, 0, 5)).toEqual({ action: 'give_up', breaker: { restarts: 1, windowMs: 60_000, last } });
    expect(p.breaker).toEqual({ restarts: 1, windowMs: 60_000, last });
    p.reset();
    expect(p.breaker).toBeUndefined();
    expect(p.decide(crash, 0, 6)).toEqual({ action: 'restart', delayMs: 100, attempt: 1 });
  });

  it('options from settings', () => {
    const s = settingsSchema.parse({ supervisor: { restartBackoffInitial: '2s', restartBackoffMax: '30s', crashLoopRestarts: 3, crashLoopWindow: '5m' } });
    const random = (): number => 0.5;
    expect(policyOptions(s.supervisor, random)).toEqual({ initialMs: 2000, maxMs: 30_000, crashLoopRestarts: 3, windowMs: 300_000, resetAfterMs: 30_000, random });
  });

  it('describes reasons', () => {
    expect([
      describeReason({ kind: 'exit', code: 1 }), describeReason({ kind: 'signal', signal: 'SIGKILL' }), describeReason({ kind: 'hang' }),
      describeReason({ kind: 'disconnected_too_long' }), describeReason({ kind: 'start_failed', error: 'spawn x ENOENT' }),
    ]).toEqual(['exit 1', 'signal SIGKILL', 'hang', 'disconnected_too_long', 'start failed: spawn x ENOENT']);
  });
});
