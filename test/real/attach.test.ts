// Attach mode on the real cloudflared: started here as another container would start it (its own process, its
// token, `--logfile` on a shared directory, a fixed --metrics address), with `tunnelwatch run --attach` beside it.
// tunnelwatch sees the four connections from the log file and /ready, keeps following the file after it is
// truncated, leaves cloudflared running when it stops, and a second tunnelwatch resumes where the first stopped.
// The two tests run in order: the second resumes from the position the first saved.
import { readdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/obs-servers.js';
import { codes, get, metric, statusUntil } from '../helpers/run-observe.js';
import { poll, trackedProcesses, type TunnelwatchRun } from '../helpers/run-process.js';
import { ConnectorRun } from './helpers/connector-run.js';
import { HOSTS, startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();

interface Attached {
  readonly world: RealWorld;
  readonly cloudflared: ConnectorRun;
  /** cloudflared's fixed metrics address. */
  readonly metrics: string;
}

/**
 * A world and a cloudflared started as another container would start it: its own process, its token, `logFlags`
 * (--logfile FILE or --log-directory DIR, and --loglevel) and a fixed --metrics address. Stopped after the describe.
 */
function attachedWorld(logFlags: (dir: string) => readonly string[]): () => Attached {
  let attached: Attached | undefined;
  beforeAll(async () => {
    const world = await startRealWorld({ protocol: 'http2' });
    const metrics = `127.0.0.1:${String(await freePort())}`;
    const cloudflared = new ConnectorRun(
      [world.cloudflared],
      ['tunnel', '--no-autoupdate', '--metrics', metrics, ...logFlags(world.dir), '--protocol', 'http2', '--config', join(world.dir, 'config.yml'), ...world.edge.cloudflaredArgs(), 'run'],
      { PATH: process.env.PATH ?? '', TUNNEL_TOKEN: world.token },
    );
    attached = { world, cloudflared, metrics };
    await world.edge.registered(4);
  });
  afterAll(async () => {
    if (attached === undefined) return;
    attached.cloudflared.child.kill('SIGKILL');
    await attached.cloudflared.exited;
    await attached.world.stop();
  });
  return () => {
    if (attached === undefined) throw new Error('the attached world did not start');
    return attached;
  };
}

describe('tunnelwatch attached to a real cloudflared it did not start', () => {
  const logFile = (dir: string): string => join(dir, 'shared', 'cloudflared.log');
  const given = attachedWorld((dir) => ['--logfile', logFile(dir), '--loglevel', 'info']);

  const attach = (extra: Readonly<Record<string, string>> = {}): TunnelwatchRun => {
    const { world, metrics } = given();
    return p.run(world.env(extra), ['--attach', logFile(world.dir), '--metrics', metrics], world.cloudflared);
  };
  const records = (run: TunnelwatchRun, event: string): Record<string, unknown>[] => run.records.filter((r) => r.event === event);

  it('is healthy with 4 of 4 from the log file, follows it through a truncation, and leaves cloudflared running', async () => {
    const { world, cloudflared } = given();
    // From the file's start: cloudflared's start and its four registrations, written before tunnelwatch came, are read.
    const run = attach({ TUNNELWATCH_CLOUDFLARED_ATTACH_FROM: 'start' });
    const s = await statusUntil(run, (x) => (x.state === 'healthy' && x.views.events === 4 && x.views.ready === 4 ? x : undefined), 'healthy, 4 registered by the log and by /ready', 30_000);
    expect(s.process.phase).toBe('attached');
    expect(s.version).toBe('2026.8.2');
    // Records reach stdout in batches (logs flush every 100 ms): waited for, not read at once.
    expect(await run.until(() => records(run, 'log_file_opened')[0], 'the log file opened', 10_000)).toMatchObject({ offset: 0, from: 'start' });

    // An operator empties the file (logrotate's copytruncate); cloudflared appends at its own offset (O_APPEND
    // puts it at the new end). What it writes next is still read: an edge-closed connection and its return.
    truncateSync(logFile(world.dir), 0);
    await run.until(() => records(run, 'log_file_truncated')[0], 'the truncation noticed', 10_000);
    const [before] = await world.edge.registered(4);
    if (before === undefined) throw new Error('the edge holds no connection');
    await world.edge.fault({ action: 'close', conn: before.id });
    await statusUntil(run, (x) => (x.connections.some((c) => c.connIndex === before.connIndex && c.up && c.connectionId !== before.id) ? x : undefined), 'the closed connection back under a new id, seen in the log', 30_000);

    run.child.kill('SIGTERM');
    // 'close', not 'exit': by then its last records are read from stdout.
    await new Promise((resolve) => run.child.once('close', resolve));
    expect(run.records.some((r) => typeof r.msg === 'string' && r.msg.includes('the attached cloudflared keeps running'))).toBe(true);
    expect(cloudflared.hasExited).toBe(false);
    expect((await world.edge.registered(4)).length).toBe(4);
  });

  it('resumes from the position the previous run saved, without reading the file again; /ready counts meanwhile', async () => {
    const run = attach();
    // Mid-log, the lines about the four connections are behind the saved position: /ready counts them.
    const s = await statusUntil(run, (x) => (x.state === 'healthy' && x.registeredConnections === 4 ? x : undefined), 'healthy by /ready', 30_000);
    expect(s.views.events).toBeUndefined();
    const opened = await run.until(() => records(run, 'log_file_opened')[0], 'the log file opened', 10_000);
    expect(opened.from).toBe('resume');
    expect(opened.offset).toBeGreaterThan(0);
  });
});

// cloudflared's --log-directory: lumberjack renames DIR/cloudflared.log away at 1 MB and starts a new one. At debug
// level every request through the tunnel is logged, so visitors fill it. tunnelwatch, reading from the start,
// follows the rename, tells degraded, down and healthy again from the log as the edge refuses and closes
// connections, and reads every line of every file once.
describe('tunnelwatch attached to a real cloudflared writing to a log directory', () => {
  const given = attachedWorld((dir) => ['--log-directory', join(dir, 'logs'), '--loglevel', 'debug']);

  it('rotated, degraded, down and back by the log, every line of every file read once', async () => {
    const { world, metrics } = given();
    const logDir = join(world.dir, 'logs');
    const run = p.run(world.env({ TUNNELWATCH_CLOUDFLARED_ATTACH_FROM: 'start' }), ['--attach', join(logDir, 'cloudflared.log'), '--metrics', metrics], world.cloudflared);
    await statusUntil(run, (x) => (x.state === 'healthy' && x.views.events === 4 ? x : undefined), 'healthy, 4 registered by the log', 30_000);

    // Visitors, one after another, fill the debug log past lumberjack's 1 MB.
    const statuses: number[] = [];
    for (let i = 0; readdirSync(logDir).length < 2 && i < 5000; i++) statuses.push((await world.edge.visit(HOSTS.app, `/fill/${String(i)}`)).status);
    expect(readdirSync(logDir).length, `${String(statuses.filter((x) => x === 200).length)} of ${String(statuses.length)} visits served`).toBe(2);
    await run.until(() => run.records.find((r) => r.event === 'log_file_rotated'), 'the rotation followed', 15_000);

    // The edge refuses new registrations and closes one connection: 3 of 4.
    await world.edge.fault({ action: 'refuse', cause: 'Unknown server error', retryAfterMs: 500 });
    const [first, ...rest] = await world.edge.registered(4);
    if (first === undefined) throw new Error('the edge holds no connection');
    await world.edge.fault({ action: 'close', conn: first.id });
    await statusUntil(run, (x) => (x.state === 'degraded' && x.views.events === 3 && codes(x).includes('connections_missing') ? x : undefined), 'degraded, 3 of 4 by the log', 30_000);

    // Every remaining connection closed while registrations are refused: down.
    for (const c of rest) await world.edge.fault({ action: 'close', conn: c.id });
    await statusUntil(run, (x) => (x.state === 'down' ? x : undefined), 'down', 30_000);
    await world.edge.fault({ action: 'accept' });
    await statusUntil(run, (x) => (x.state === 'healthy' && x.views.events === 4 ? x : undefined), 'healthy again, 4 by the log', 60_000);

    // Nothing lost, nothing twice: the lines of both files, the rotated one and the new one, are the lines read.
    const written = (): number => readdirSync(logDir).reduce((n, f) => n + readFileSync(join(logDir, f), 'utf8').split('\n').filter((l) => l !== '').length, 0);
    const read = async (): Promise<number | undefined> => metric((await get(run, '/metrics')).body, 'tunnelwatch_log_lines_read_total', { stream: 'stderr' });
    await poll(async () => ((await read()) === written() ? true : undefined), 'every written line read', 15_000).catch(async (e: unknown) => {
      throw new Error(`${String(e)}: tunnelwatch read ${String(await read())} lines, the files hold ${String(written())}`);
    });
  });
});
