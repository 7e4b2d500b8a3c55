// End to end: the built `tunnelwatch run` supervising the emulated connector as a real child process. Each
// way a connector ends — a crash, a crash loop, a hang, a connector alive but disconnected, a stop that
// overstays the grace period, a clean stop — must be handled as promised and be visible in the metrics and
// the stdout records, with the exit code telling what happened. Each describe has its own run; after every
// test no connector it replaced may be alive. The describes marked concurrent run side by side (they mostly
// wait: for a grace period, a watch, a boot).
//
// The hang and disconnect watches run from the moment a connector is spawned, and the emulator (a Node
// process) can take seconds to print its first line on a loaded machine: a watch shorter than that boot
// restarts the new connector again, and again. So the watches are seconds longer than such a boot, the
// hang run boots alone (start: 'beforeAll', after the concurrent ones), and the assertions follow the
// restart the fault caused — the connector with that pid — rather than counting every restart.
import { describe, expect, it } from 'vitest';
import { codes, connectorFault, get, metric, metricsUntil, ownRecord, statusUntil } from './helpers/run-observe.js';
import { isGone, trackedProcesses, type TunnelwatchRun } from './helpers/run-process.js';

const p = trackedProcesses();

const GRACE_MS = 2000;
/** tunnelwatch's wait beyond the grace period before it SIGKILLs the connector (src/supervisor/supervisor.ts). */
const STOP_MARGIN_MS = 5000;
/** Longer than the emulator's boot to its first line (hang) and to its first connection (disconnect), loaded. */
const HANG_WATCH = '4s';
const DISCONNECT_WATCH = '6s';
const FAST = {
  TUNNELWATCH_CLOUDFLARED_POLL_INTERVAL: '200ms',
  TUNNELWATCH_SUPERVISOR_RESTART_BACKOFF_INITIAL: '100ms',
  TUNNELWATCH_SUPERVISOR_RESTART_BACKOFF_MAX: '1s',
  TUNNELWATCH_ORIGINS_INTERVAL: '1s',
  TUNNELWATCH_EDGE_POLL_INTERVAL: '1s',
  TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
};

/** Waits until the newest connector has registered all four connections, as /status says; its pid. */
async function connectorUp(run: TunnelwatchRun, timeoutMs = 20_000): Promise<number> {
  return statusUntil(
    run,
    (s) => {
      const pid = run.connectorPids().at(-1);
      return pid !== undefined && s.process.pid === pid && s.state === 'healthy' && s.registeredConnections === 4 ? pid : undefined;
    },
    'the newest connector healthy',
    timeoutMs,
  );
}

/** The value of `tunnelwatch_connector_restarts_total{reason}` now (0 before the first such restart). */
async function restarts(run: TunnelwatchRun, reason: string): Promise<number> {
  return metric((await get(run, '/metrics')).body, 'tunnelwatch_connector_restarts_total', { reason }) ?? 0;
}

/** SIGTERM, then how tunnelwatch ended and how long that took. */
async function terminate(run: TunnelwatchRun): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  run.child.kill('SIGTERM');
  const { code } = await run.closed;
  return { code, ms: Date.now() - started };
}

/** The `cloudflared exited` and `restarting cloudflared` records of the connector `pid`, once both are out. */
async function restartOf(run: TunnelwatchRun, pid: number, from: number): Promise<{ exited: Record<string, unknown>; restarting: Record<string, unknown> }> {
  return run.until(() => {
    const at = run.records.findIndex((r, i) => i >= from && r.source === 'tunnelwatch' && r.pid === pid && typeof r.msg === 'string' && r.msg.startsWith('cloudflared exited'));
    const exited = run.records[at];
    const restarting = at === -1 ? undefined : ownRecord(run, 'restarting cloudflared in ', at);
    return exited === undefined || restarting === undefined ? undefined : { exited, restarting };
  }, `the restart of connector ${String(pid)}`, 20_000);
}

describe.concurrent('tunnelwatch run: opens the breaker on a crash loop', () => {
  const shared = p.shared({ ...FAST, TUNNELWATCH_SUPERVISOR_CRASH_LOOP_RESTARTS: '3', TUNNELWATCH_SUPERVISOR_CRASH_LOOP_WINDOW: '10m' });

  it('stops restarting after the fourth crash, reports crash_loop, and exits 4 on SIGTERM', { timeout: 40_000 }, async () => {
    const run = shared();
    for (let n = 1; n <= 4; n++) {
      await run.until(() => run.connectorPids()[n - 1], `connector run ${String(n)} started`, 20_000);
      await connectorFault(run, { fault: 'crash', exitCode: 3 }, 20_000);
      const crashed = (): number => run.records.filter((r) => r.source === 'tunnelwatch' && typeof r.msg === 'string' && r.msg.startsWith('cloudflared exited (exit 3)')).length;
      await run.until(() => (crashed() >= n ? true : undefined), `crash ${String(n)}`);
    }
    const breaker = await run.until(() => ownRecord(run, 'cloudflared is crash-looping'), 'the crash-looping record');
    expect(breaker.msg).toContain('3 restarts within 600s, last: exit 3');
    expect(breaker.level).toBe(50);
    const s = await statusUntil(run, (x) => (x.process.phase === 'breaker_open' ? x : undefined), 'phase breaker_open');
    expect(s.state).toBe('down');
    expect(codes(s)).toContain('crash_loop');
    await metricsUntil(run, (text) => (metric(text, 'tunnelwatch_connector_crash_loop') === 1 ? true : undefined), 'tunnelwatch_connector_crash_loop 1');
    const text = (await get(run, '/metrics')).body;
    expect(metric(text, 'tunnelwatch_connector_restarts_total', { reason: 'exit' })).toBe(3);
    expect(metric(text, 'tunnelwatch_connector_up')).toBe(0);
    expect(metric(text, 'tunnelwatch_connector_state', { state: 'down' })).toBe(1);
    expect(run.connectorPids()).toHaveLength(4);
    const { code } = await terminate(run);
    expect(code).toBe(4);
    expect(ownRecord(run, 'stopped')).toMatchObject({ exit_code: 4 });
  });
});

describe.concurrent('tunnelwatch run: kills a connector that overstays the grace period', () => {
  // The emulator honours its own --grace-period and would exit by itself when tunnelwatch's ran out; the
  // longest it accepts (3m, later flags win) makes the slow drain outlive tunnelwatch's grace and margin.
  const shared = p.shared({ ...FAST, TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: '--grace-period=3m' });

  it('SIGKILLs it after the grace period and its margin, and exits 3', { timeout: 40_000 }, async () => {
    const run = shared();
    const pid = await connectorUp(run);
    await connectorFault(run, { fault: 'slow_shutdown' });
    const { code, ms } = await terminate(run);
    expect(code).toBe(3);
    expect(ms).toBeGreaterThanOrEqual(GRACE_MS + STOP_MARGIN_MS - 100);
    expect(ms).toBeLessThan(GRACE_MS + STOP_MARGIN_MS + 5000);
    expect(ownRecord(run, 'stopped')).toMatchObject({ exit_code: 3, killed: true, cloudflared_signal: 'SIGKILL' });
    expect(ownRecord(run, 'cloudflared exited')).toMatchObject({ pid, signal: 'SIGKILL', killed: true });
    expect(isGone(pid)).toBe(true);
  });
});

describe.concurrent('tunnelwatch run: restarts a connector alive but disconnected too long', () => {
  const shared = p.shared({ ...FAST, TUNNELWATCH_SUPERVISOR_RESTART_WHEN_DISCONNECTED_FOR: DISCONNECT_WATCH, TUNNELWATCH_SUPERVISOR_CRASH_LOOP_RESTARTS: '50' }, { start: 'beforeAll' });

  it(`restarts it with reason disconnected_too_long once the edge stayed unreachable for ${DISCONNECT_WATCH}`, { timeout: 40_000 }, async () => {
    const run = shared();
    const stuck = await connectorUp(run);
    const before = await restarts(run, 'disconnected_too_long');
    const mark = run.records.length;
    await connectorFault(run, { fault: 'edge_unreachable' });
    await statusUntil(run, (s) => (s.state === 'down' && s.process.pid === stuck ? true : undefined), 'the stuck connector down');
    const down = Date.now();
    const { exited, restarting } = await restartOf(run, stuck, mark);
    // The watch waited its full time after the last connection went (which was no later than `down`).
    expect(Date.now() - down).toBeGreaterThan(1000);
    expect(exited.reason).toBe('disconnected_too_long');
    expect(restarting.msg).toMatch(/^restarting cloudflared in \d+\.\ds \(disconnected_too_long\)$/);
    expect(ownRecord(run, `cloudflared has had no registered connection for ${DISCONNECT_WATCH}; restarting it`, mark)).toBeDefined();
    // The new connector starts without the fault and connects.
    expect(await connectorUp(run)).not.toBe(stuck);
    expect(isGone(stuck)).toBe(true);
    expect(await restarts(run, 'disconnected_too_long')).toBeGreaterThan(before);
  });
});

describe('tunnelwatch run: restarts a connector that crashed or hung, and stops cleanly', () => {
  const shared = p.shared({ ...FAST, TUNNELWATCH_SUPERVISOR_HANG_TIMEOUT: HANG_WATCH, TUNNELWATCH_SUPERVISOR_CRASH_LOOP_RESTARTS: '50' }, { start: 'beforeAll' });

  it('restarts a crashed connector and counts the restart with reason exit', { timeout: 40_000 }, async () => {
    const run = shared();
    const crashed = await connectorUp(run);
    const before = await restarts(run, 'exit');
    const mark = run.records.length;
    await connectorFault(run, { fault: 'crash', exitCode: 7 });
    const { exited, restarting } = await restartOf(run, crashed, mark);
    expect(exited.msg).toMatch(/^cloudflared exited \(exit 7\) after /);
    expect(restarting.msg).toMatch(/^restarting cloudflared in \d+\.\ds \(exit 7\)$/);
    expect(restarting.reason).toBe('exit');
    expect(await connectorUp(run)).not.toBe(crashed);
    expect(isGone(crashed)).toBe(true);
    expect(await restarts(run, 'exit')).toBe(before + 1);
  });

  it('kills a hung connector and restarts it with reason hang', { timeout: 40_000 }, async () => {
    const run = shared();
    const hung = await connectorUp(run);
    const before = await restarts(run, 'hang');
    const mark = run.records.length;
    await connectorFault(run, { fault: 'hang' });
    const { exited, restarting } = await restartOf(run, hung, mark);
    expect(exited.killed).toBe(true);
    expect(exited.signal).toBe('SIGKILL');
    expect(exited.reason).toBe('hang');
    expect(restarting.msg).toMatch(/^restarting cloudflared in \d+\.\ds \(hang\)$/);
    expect(await connectorUp(run)).not.toBe(hung);
    expect(isGone(hung)).toBe(true);
    expect(await restarts(run, 'hang')).toBeGreaterThan(before);
  });

  it('on SIGTERM lets the connector drain and exits 0 within the grace period', { timeout: 40_000 }, async () => {
    const run = shared();
    const pid = await connectorUp(run);
    const { code, ms } = await terminate(run);
    expect(code).toBe(0);
    // Drained within the grace period by tunnelwatch's own clock; the wall time only has to stay short of
    // the SIGKILL deadline (a loaded machine adds process start-up and exit on top).
    const time = (r: Record<string, unknown> | undefined): number => (typeof r?.time === 'number' ? r.time : Number.NaN);
    const stopping = ownRecord(run, 'stopping (SIGTERM)');
    expect(time(ownRecord(run, 'cloudflared exited (code 0)')) - time(stopping)).toBeLessThan(GRACE_MS);
    expect(ms).toBeLessThan(GRACE_MS + STOP_MARGIN_MS);
    const at = (source: string, msg: string): number => run.records.findIndex((r) => r.source === source && r.msg === msg);
    const drained = at('cloudflared', 'Tunnel server stopped');
    const stopped = at('tunnelwatch', 'stopped');
    expect(at('cloudflared', 'Initiating graceful shutdown due to signal terminated ...')).toBeGreaterThan(run.records.indexOf(stopping ?? {}));
    expect(drained).toBeGreaterThan(-1);
    expect(stopped).toBeGreaterThan(drained);
    expect(run.records[stopped]).toMatchObject({ exit_code: 0, cloudflared_code: 0, killed: false });
    expect(isGone(pid)).toBe(true);
    expect(run.badLines).toEqual([]);
  });
});
