// The real cloudflared's process under tunnelwatch: a graceful stop that drains (unregisters) every connection, a
// SIGKILL from outside, a SIGSTOP (alive but hung), and a fatal start-up error, over QUIC and HTTP/2 where the
// protocol matters. Every assertion follows the connector by its pid; every wait has a deadline.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causes, codes, diagnosisOf, get, metric, ownRecord, statusUntil } from '../helpers/run-observe.js';
import { isGone, poll, trackedProcesses, type TunnelwatchRun } from '../helpers/run-process.js';
import { startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();

/** The newest connector's pid once it holds all four connections. */
function connectorUp(run: TunnelwatchRun): Promise<number> {
  return statusUntil(
    run,
    (s) => {
      const pid = run.connectorPids().at(-1);
      return pid !== undefined && s.process.pid === pid && s.state === 'healthy' && s.registeredConnections === 4 ? pid : undefined;
    },
    'the newest connector healthy with 4 of 4',
    60_000,
  );
}

/** The `cloudflared exited` record of connector `pid`. */
function exitOf(run: TunnelwatchRun, pid: number): Promise<Record<string, unknown>> {
  return run.until(() => run.records.find((r) => r.source === 'tunnelwatch' && r.pid === pid && typeof r.msg === 'string' && r.msg.startsWith('cloudflared exited')), `connector ${String(pid)} exited`, 30_000);
}

describe.each(['quic', 'http2'] as const)('the real cloudflared process over %s', (protocol) => {
  let world: RealWorld;
  beforeAll(async () => { world = await startRealWorld({ protocol }); });
  afterAll(async () => { await world.stop(); });

  it('SIGTERM: every connection unregistered at the edge, cloudflared exits 0, tunnelwatch exits 0', async () => {
    const run = p.run(world.env(), [], world.cloudflared);
    const pid = await connectorUp(run);
    run.child.kill('SIGTERM');
    const { code } = await run.closed;
    expect(code).toBe(0);
    const unregistered = run.records.filter((r) => r.source === 'cloudflared' && r.event === 'unregistered');
    expect(unregistered.map((r) => r.conn_index).sort()).toEqual([0, 1, 2, 3]);
    expect(ownRecord(run, 'stopped')).toMatchObject({ exit_code: 0, cloudflared_code: 0, killed: false });
    expect((world.edge.log.match(/ unregistered$/gm) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(isGone(pid)).toBe(true);
    expect(run.badLines).toEqual([]);
  });

  it('SIGKILL from outside: restarted (reason signal), healthy again with a new connector', async () => {
    const run = p.run(world.env(), [], world.cloudflared);
    const killed = await connectorUp(run);
    process.kill(killed, 'SIGKILL');
    expect(await exitOf(run, killed)).toMatchObject({ signal: 'SIGKILL', reason: 'signal' });
    const next = await connectorUp(run);
    expect(next).not.toBe(killed);
    expect(metric((await get(run, '/metrics')).body, 'tunnelwatch_connector_restarts_total', { reason: 'signal' })).toBe(1);
  });

  it('SIGSTOP: silent and not answering, so killed and restarted with reason hang', async () => {
    const run = p.run(world.env({ TUNNELWATCH_SUPERVISOR_HANG_TIMEOUT: '3s' }), [], world.cloudflared);
    const hung = await connectorUp(run);
    process.kill(hung, 'SIGSTOP');
    expect(await exitOf(run, hung)).toMatchObject({ signal: 'SIGKILL', killed: true, reason: 'hang' });
    expect(await connectorUp(run)).not.toBe(hung);
    expect(isGone(hung)).toBe(true);
  });
});

describe('the real cloudflared with its metrics port taken', () => {
  let world: RealWorld;
  let taken: Server;
  let answersReady = true;
  beforeAll(async () => {
    world = await startRealWorld({ protocol: 'quic' });
    // Another cloudflared on the host, not started by this tunnelwatch: it answers /ready as cloudflared does, so the
    // pre-flight check lets it be (it could be a connector a killed tunnelwatch left behind, which the start stops).
    taken = createServer((req, res) => {
      if (answersReady && req.url === '/ready') res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":503,"readyConnections":0,"connectorId":"00000000-0000-4000-8000-000000000000"}');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
    await world.stop();
  });

  it('exits 1 at once; the crash loop is reported with the line that says why', async () => {
    const address = taken.address();
    if (address === null || typeof address === 'string') throw new Error('no port taken');
    const run = p.run(world.env({ TUNNELWATCH_CLOUDFLARED_METRICS: `127.0.0.1:${String(address.port)}`, TUNNELWATCH_SUPERVISOR_CRASH_LOOP_RESTARTS: '2' }), [], world.cloudflared);
    const first = await run.connectorPid();
    const exited = await exitOf(run, first);
    expect(exited).toMatchObject({ code: 1, reason: 'exit' });
    expect(exited.last_error).toMatch(/^Error opening metrics server listener: failed to bind to address \(127\.0\.0\.1:\d+\): .*address already in use$/);
    expect(exited.up_ms).toBeLessThan(5000);
    const s = await statusUntil(run, (x) => (x.process.phase === 'breaker_open' ? x : undefined), 'the breaker open', 30_000);
    expect(codes(s)).toContain('crash_loop');
    expect(s.reasons.find((r) => r.code === 'crash_loop')?.message).toMatch(/last exit: exit 1; its last error: Error opening metrics server listener: .*address already in use/);
    expect(causes(s)).toContain('metrics_port_in_use');
    expect(causes(s)).not.toContain('connector_crashed');
    expect(diagnosisOf(s, 'metrics_port_in_use')?.evidence[0]?.text).toMatch(/^Error opening metrics server listener: .*address already in use/);
    expect(ownRecord(run, 'cause found: cloudflared\'s metrics address is taken')).toBeDefined();
    const breaker = await run.until(() => ownRecord(run, 'cloudflared is crash-looping'), 'the crash-looping record');
    expect(breaker.msg).toMatch(/last: exit 1; its last error: Error opening metrics server listener/);
    run.child.kill('SIGTERM');
    expect((await run.closed).code).toBe(4);
    await poll(() => (run.connectorPids().every(isGone) ? true : undefined), 'every connector gone');
  });

  it('held by something that is not cloudflared: refused before the first start, in one line with the fix', async () => {
    answersReady = false;
    const address = taken.address();
    if (address === null || typeof address === 'string') throw new Error('no port taken');
    const run = p.run(world.env({ TUNNELWATCH_CLOUDFLARED_METRICS: `127.0.0.1:${String(address.port)}` }), [], world.cloudflared);
    expect((await run.closed).code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^tunnelwatch run: cloudflared\\.metrics 127\\.0\\.0\\.1:${String(address.port)} cannot be bound \\(EADDRINUSE\\)`, 'm'));
    expect(run.connectorPids()).toEqual([]);
  });
});
