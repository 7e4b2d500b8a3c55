// The supervisor against the real emulated cloudflared (a child process, clock compressed 100×). Every wait
// is on an event; every child started is checked to be gone afterwards.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import { settingsSchema } from '../src/config/schema.js';
import { buildCommand, type Command } from '../src/supervisor/command.js';
import { healthcheckProbe } from '../src/supervisor/hang-watch.js';
import { RestartPolicy, type RestartPolicyOptions } from '../src/supervisor/restart-policy.js';
import { Supervisor, supervisorOptions, type SupervisorEvents, type SupervisorOptions } from '../src/supervisor/supervisor.js';
import { EMULATOR_BIN, TOKEN } from './emulator-cloudflared-harness.js';

type Recorded = { [K in keyof SupervisorEvents]: { readonly event: K; readonly at: number; readonly payload: SupervisorEvents[K] } }[keyof SupervisorEvents];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

interface Setup {
  readonly cloudflared?: Record<string, unknown>;
  readonly scenario?: readonly Record<string, unknown>[];
  readonly policy?: Partial<RestartPolicyOptions>;
  readonly options?: Partial<SupervisorOptions>;
}

function emulatorCommand(cmd: Command): Command {
  return { ...cmd, file: process.execPath, args: [EMULATOR_BIN, ...cmd.args] };
}

function setup(s: Setup = {}): { sup: Supervisor; events: Recorded[]; pids: number[]; command: Command } {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-supervisor-'));
  const parentEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '', HOME: dir, CFEMU_TIME_SCALE: '0.01', CFEMU_SEED: 'supervisor', TUNNEL_METRICS: '0.0.0.0:1', TUNNELWATCH_SECRET: 'x',
  };
  if (s.scenario !== undefined) {
    const file = path.join(dir, 'scenario.json');
    writeFileSync(file, JSON.stringify({ steps: s.scenario }));
    parentEnv.CFEMU_SCENARIO = file;
  }
  const settings = settingsSchema.parse({ cloudflared: { token: TOKEN, metrics: '127.0.0.1:0', ...s.cloudflared } });
  const command = emulatorCommand(buildCommand(settings, parentEnv));
  const base = supervisorOptions(settings, command);
  const policy = new RestartPolicy({ initialMs: 10, maxMs: 40, crashLoopRestarts: 100, windowMs: 60_000, resetAfterMs: 60_000, random: () => 1, ...s.policy });
  const sup = new Supervisor({ ...base, policy, ...s.options });
  const events: Recorded[] = [];
  const pids: number[] = [];
  for (const event of ['started', 'line', 'exited', 'restarting', 'breaker_open', 'stopped'] as const) {
    sup.on(event, (payload) => { events.push({ event, at: performance.now(), payload } as Recorded); });
  }
  sup.on('started', ({ pid }) => pids.push(pid));
  cleanups.push(async () => {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { sup, events, pids, command };
}

const registered = (p: SupervisorEvents['line']): boolean => parseLogLine(p.line).type === 'registered';

function of<K extends keyof SupervisorEvents>(events: readonly Recorded[], event: K): { at: number; payload: SupervisorEvents[K] }[] {
  return events.filter((e) => e.event === event) as unknown as { at: number; payload: SupervisorEvents[K] }[];
}

describe('Supervisor with the emulated cloudflared', () => {
  it('runs it with the token in env only, delivers whole parsed lines, stops it with one SIGTERM', async () => {
    const { sup, events, pids, command } = setup();
    const firstRegistered = sup.once('line', registered);
    sup.start();
    const line = await firstRegistered;
    expect(command.env.TUNNEL_METRICS).toBeUndefined();
    expect(command.env.TUNNELWATCH_SECRET).toBeUndefined();
    const pid = pids[0] ?? -1;
    expect(line.pid).toBe(pid);
    const cmdline = readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8');
    expect(cmdline).not.toContain(TOKEN);
    expect(cmdline).not.toContain(TOKEN.slice(8, 40));
    expect(cmdline.split('\0').slice(0, -1)).toEqual([process.execPath, ...command.args]);
    // It registered, so it did get the token, through the environment.
    expect(line.stream).toBe('stderr');
    expect(readFileSync(`/proc/${String(pid)}/environ`, 'utf8').split('\0')).toContain(`TUNNEL_TOKEN=${TOKEN}`);

    const t0 = performance.now();
    const exit = await sup.stop();
    expect(exit).toMatchObject({ code: 0, signal: null, killed: false });
    // Well inside cloudflared's grace period (30 s, compressed by the emulator): no SIGKILL was needed.
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(sup.state).toBe('stopped');
    expect(isGone(pid)).toBe(true);

    const lines = of(events, 'line').map((e) => e.payload);
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.every((l) => l.stream === 'stderr' && !l.truncated && l.line.startsWith('{') && l.line.endsWith('}'))).toBe(true);
    const parsed = lines.map((l) => parseLogLine(l.line));
    expect(parsed.every((e) => e.format === 'json')).toBe(true);
    expect(parsed.some((e) => e.type === 'shutdown' && e.phase === 'signal')).toBe(true);
    expect(events.map((e) => e.event).filter((e) => e !== 'line')).toEqual(['started', 'exited', 'stopped']);
    expect(of(events, 'exited')[0]?.payload.reason).toBeUndefined();
  });

  it('a crash (exit 1) is restarted with reason exit, after the backoff', async () => {
    const { sup, events, pids } = setup({ scenario: [{ at: '0s', fault: 'crash', exitCode: 1 }] });
    const third = sup.once('started', (p) => p.run === 3);
    sup.start();
    await third;
    await sup.stop();
    const restarting = of(events, 'restarting').map((e) => e.payload);
    expect(restarting.slice(0, 2)).toEqual([
      { reason: { kind: 'exit', code: 1 }, delayMs: 10, attempt: 1 },
      { reason: { kind: 'exit', code: 1 }, delayMs: 20, attempt: 2 },
    ]);
    const exited = of(events, 'exited');
    const started = of(events, 'started');
    for (let i = 0; i < 2; i++) {
      expect(exited[i]?.payload).toMatchObject({ code: 1, signal: null, killed: false, reason: { kind: 'exit', code: 1 } });
      // The next start waited for the backoff (1 ms of timer slack).
      expect((started[i + 1]?.at ?? 0) - (exited[i]?.at ?? 0)).toBeGreaterThanOrEqual((restarting[i]?.delayMs ?? 0) - 1);
    }
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(pids.every(isGone)).toBe(true);
  });

  it('a crash loop opens the breaker and restarting stops', async () => {
    const { sup, events, pids } = setup({ scenario: [{ at: '0s', fault: 'crash', exitCode: 1 }], policy: { crashLoopRestarts: 2, initialMs: 1 } });
    const breaker = sup.once('breaker_open');
    sup.start();
    expect(await breaker).toEqual({ restarts: 2, windowMs: 60_000, last: { kind: 'exit', code: 1 } });
    expect(sup.state).toBe('breaker_open');
    expect(of(events, 'started')).toHaveLength(3);
    expect(of(events, 'restarting')).toHaveLength(2);
    expect(await sup.stop()).toBeUndefined();
    expect(sup.state).toBe('stopped');
    expect(pids.every(isGone)).toBe(true);
  });

  it('slow_shutdown with a short grace: SIGKILL after the grace', async () => {
    const { sup, pids } = setup({
      cloudflared: { gracePeriod: '1m' },
      scenario: [{ at: '0s', fault: 'slow_shutdown' }],
      options: { gracePeriodMs: 50, stopMarginMs: 0 },
    });
    const up = sup.once('line', registered);
    sup.start();
    await up;
    const exited = sup.once('exited');
    const exit = await sup.stop();
    expect(exit).toMatchObject({ code: null, signal: 'SIGKILL', killed: true });
    expect((await exited).reason).toBeUndefined();
    expect(pids.every(isGone)).toBe(true);
  });

  it('a hang (silent, metrics not answering) is killed and restarted with reason hang', async () => {
    const answers: boolean[] = [];
    const probe = async (address: string, timeoutMs: number): Promise<boolean> => {
      const ok = await healthcheckProbe(address, timeoutMs);
      answers.push(ok);
      return ok;
    };
    // The hang starts 2.5 s (real) after start; before that the connector is quiet for more than the 1 s
    // timeout (settings' minimum) but answers on its metrics address.
    const { sup, events, pids } = setup({ scenario: [{ at: '250s', fault: 'hang' }], options: { hang: { timeoutMs: 1000, probe } } });
    const restarting = sup.once('restarting');
    sup.start();
    const t0 = performance.now();
    expect(await restarting).toMatchObject({ reason: { kind: 'hang' } });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2500);
    expect(answers).toContain(true);
    expect(answers.at(-1)).toBe(false);
    expect(of(events, 'exited')[0]?.payload).toMatchObject({ signal: 'SIGKILL', killed: true, reason: { kind: 'hang' } });
    await sup.stop();
    expect(pids.every(isGone)).toBe(true);
  });

  it('a binary that cannot start: start_failed, then the breaker', async () => {
    const policy = new RestartPolicy({ initialMs: 0, maxMs: 0, crashLoopRestarts: 1, windowMs: 60_000, resetAfterMs: 1, random: () => 0 });
    const command: Command = { file: '/nonexistent/cloudflared', args: ['tunnel', 'run'], env: {} };
    const sup = new Supervisor({ ...supervisorOptions(settingsSchema.parse({}), command), policy });
    cleanups.push(async () => { await sup.stop(); });
    const reasons: string[] = [];
    sup.on('restarting', ({ reason }) => reasons.push(reason.kind));
    let started = 0;
    sup.on('started', () => started++);
    const breaker = sup.once('breaker_open');
    sup.start();
    const open = await breaker;
    expect(open.last).toMatchObject({ kind: 'start_failed', error: expect.stringContaining('ENOENT') as unknown });
    expect(reasons).toEqual(['start_failed']);
    expect(started).toBe(0);
    expect(await sup.stop()).toBeUndefined();
  });

  it('arguments spawn() rejects outright: start_failed too, never a throw', async () => {
    const policy = new RestartPolicy({ initialMs: 0, maxMs: 0, crashLoopRestarts: 1, windowMs: 60_000, resetAfterMs: 1, random: () => 0 });
    const command: Command = { file: 'cloud\0flared', args: [], env: {} };
    const sup = new Supervisor({ ...supervisorOptions(settingsSchema.parse({}), command), policy });
    cleanups.push(async () => { await sup.stop(); });
    const reasons: string[] = [];
    sup.on('restarting', ({ reason }) => reasons.push(reason.kind));
    const breaker = sup.once('breaker_open');
    sup.start();
    expect((await breaker).last.kind).toBe('start_failed');
    expect(reasons).toEqual(['start_failed']);
    expect(sup.state).toBe('breaker_open');
  });

  it('start() twice is an error', () => {
    const { sup } = setup();
    sup.start();
    expect(() => { sup.start(); }).toThrow('supervisor already running');
  });
});

describe('Supervisor.hold and release (a fenced replica)', () => {
  // Absence (no restart) takes a wait: five times the longest backoff of setup()'s policy.
  const quiet = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 200));
  const fromPid = (events: readonly Recorded[], pid: number): SupervisorEvents['line'][] => of(events, 'line').map((e) => e.payload).filter((l) => l.pid === pid);

  it('hold from running drains the child with one SIGTERM and keeps it down: held, no restart, no new child', async () => {
    const { sup, events, pids } = setup();
    const up = sup.once('line', registered);
    sup.start();
    await up;
    const pid = pids[0] ?? -1;
    const exited = sup.once('exited');
    expect(await sup.hold()).toBe(true);
    expect(sup.state).toBe('held');
    // A graceful end (cloudflared drained on SIGTERM), not a crash to restart: no reason.
    expect(await exited).toMatchObject({ pid, code: 0, signal: null, killed: false, reason: undefined });
    expect(fromPid(events, pid).map((l) => parseLogLine(l.line)).some((e) => e.type === 'shutdown' && e.phase === 'signal')).toBe(true);
    expect(isGone(pid)).toBe(true);
    expect(sup.pid).toBeUndefined();

    await quiet();
    expect(sup.state).toBe('held');
    expect(of(events, 'restarting')).toHaveLength(0);
    expect(of(events, 'started')).toHaveLength(1);
  });

  it('release after hold starts a new child (started, run 2): running again', async () => {
    const { sup, events, pids } = setup();
    const up = sup.once('line', registered);
    sup.start();
    await up;
    await sup.hold();
    const started = sup.once('started');
    expect(sup.release()).toBe(true);
    expect(sup.state).toBe('running');
    const second = await started;
    expect(second.run).toBe(2);
    expect(second.pid).not.toBe(pids[0]);
    await sup.once('line', (l) => l.pid === second.pid && registered(l));
    expect(sup.pid).toBe(second.pid);
    expect(of(events, 'restarting')).toHaveLength(0);
    // Released, it is supervised as before: stop() ends it.
    expect(await sup.stop()).toMatchObject({ code: 0, signal: null, killed: false });
    expect(pids.every(isGone)).toBe(true);
  });

  it('hold during the backoff cancels the pending restart', async () => {
    const { sup, events } = setup({ scenario: [{ at: '0s', fault: 'crash', exitCode: 1 }] });
    const restarting = sup.once('restarting');
    sup.start();
    await restarting;
    expect(sup.state).toBe('backoff');
    expect(await sup.hold()).toBe(true);
    expect(sup.state).toBe('held');
    await quiet();
    expect(of(events, 'started')).toHaveLength(1);
    expect(sup.state).toBe('held');
  });

  it('hold is false when there is nothing to hold: idle, already held, stopped; release is false unless held', async () => {
    const { sup, pids } = setup();
    expect(await sup.hold()).toBe(false);
    expect(sup.release()).toBe(false);
    expect(sup.state).toBe('idle');

    const up = sup.once('line', registered);
    sup.start();
    await up;
    // Running: nothing to release, and no second child.
    expect(sup.release()).toBe(false);
    expect(pids).toHaveLength(1);
    expect(await sup.hold()).toBe(true);
    expect(await sup.hold()).toBe(false);
    expect(sup.state).toBe('held');

    await sup.stop();
    expect(await sup.hold()).toBe(false);
    expect(sup.release()).toBe(false);
    expect(sup.state).toBe('stopped');
    expect(pids).toHaveLength(1);
  });

  it('hold is false with the breaker open', async () => {
    const { sup } = setup({ scenario: [{ at: '0s', fault: 'crash', exitCode: 1 }], policy: { crashLoopRestarts: 1, initialMs: 1 } });
    const breaker = sup.once('breaker_open');
    sup.start();
    await breaker;
    expect(await sup.hold()).toBe(false);
    expect(sup.state).toBe('breaker_open');
  });

  it('stop() while held: stopped, with no child left to end', async () => {
    const { sup, events, pids } = setup();
    const up = sup.once('line', registered);
    sup.start();
    await up;
    await sup.hold();
    const stopped = sup.once('stopped');
    expect(await sup.stop()).toBeUndefined();
    expect(await stopped).toEqual({ exit: undefined });
    expect(sup.state).toBe('stopped');
    expect(sup.release()).toBe(false);
    expect(of(events, 'started')).toHaveLength(1);
    expect(pids.every(isGone)).toBe(true);
  });

  it('release during the drain never leaves two children, nor restarts', async () => {
    const { sup, events, pids } = setup({ cloudflared: { gracePeriod: '1m' }, scenario: [{ at: '0s', fault: 'slow_shutdown' }], options: { gracePeriodMs: 300, stopMarginMs: 0 } });
    // Whatever the outcome, no child outlives the test (stop() would miss an untracked one).
    cleanups.push(() => {
      for (const pid of pids) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
      return Promise.resolve();
    });
    const up = sup.once('line', registered);
    sup.start();
    await up;
    const held = sup.hold();
    sup.release();
    await held;
    await quiet();
    expect(of(events, 'restarting')).toHaveLength(0);
    expect(pids.filter((pid) => !isGone(pid)).length).toBeLessThanOrEqual(1);
  });

  it('restartChild works again after a hold that interrupted one', async () => {
    const { sup } = setup();
    const up = sup.once('line', registered);
    sup.start();
    await up;
    expect(sup.restartChild({ kind: 'disconnected_too_long' })).toBe(true);
    await sup.hold();
    const started = sup.once('started');
    sup.release();
    const second = await started;
    await sup.once('line', (l) => l.pid === second.pid && registered(l));
    expect(sup.restartChild({ kind: 'disconnected_too_long' })).toBe(true);
  });
});
