// Attach mode on the real cloudflared: started here as another container would start it (its own process, its
// token, `--logfile` on a shared directory, a fixed --metrics address), with `tunnelwatch run --attach` beside it.
// tunnelwatch sees the four connections from the log file and /ready, keeps following the file after it is
// truncated, leaves cloudflared running when it stops, and a second tunnelwatch resumes where the first stopped.
// The two tests run in order: the second resumes from the position the first saved.
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../bench/obs-servers.js';
import { statusUntil } from '../helpers/run-observe.js';
import { trackedProcesses, type TunnelwatchRun } from '../helpers/run-process.js';
import { ConnectorRun } from './helpers/connector-run.js';
import { startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();

describe('tunnelwatch attached to a real cloudflared it did not start', () => {
  let world: RealWorld;
  let cloudflared: ConnectorRun;
  let metrics: string;
  let logFile: string;

  beforeAll(async () => {
    world = await startRealWorld({ protocol: 'http2' });
    metrics = `127.0.0.1:${String(await freePort())}`;
    logFile = join(world.dir, 'shared', 'cloudflared.log');
    cloudflared = new ConnectorRun(
      [world.cloudflared],
      ['tunnel', '--no-autoupdate', '--metrics', metrics, '--logfile', logFile, '--loglevel', 'info', '--protocol', 'http2', '--config', join(world.dir, 'config.yml'), ...world.edge.cloudflaredArgs(), 'run'],
      { PATH: process.env.PATH ?? '', TUNNEL_TOKEN: world.token },
    );
    await world.edge.registered(4);
  });
  afterAll(async () => {
    cloudflared.child.kill('SIGKILL');
    await cloudflared.exited;
    await world.stop();
  });

  const attach = (extra: Readonly<Record<string, string>> = {}): TunnelwatchRun =>
    p.run(world.env(extra), ['--attach', logFile, '--metrics', metrics], world.cloudflared);
  const records = (run: TunnelwatchRun, event: string): Record<string, unknown>[] => run.records.filter((r) => r.event === event);

  it('is healthy with 4 of 4 from the log file, follows it through a truncation, and leaves cloudflared running', async () => {
    // From the file's start: cloudflared's start and its four registrations, written before tunnelwatch came, are read.
    const run = attach({ TUNNELWATCH_CLOUDFLARED_ATTACH_FROM: 'start' });
    const s = await statusUntil(run, (x) => (x.state === 'healthy' && x.views.events === 4 && x.views.ready === 4 ? x : undefined), 'healthy, 4 registered by the log and by /ready', 30_000);
    expect(s.process.phase).toBe('attached');
    expect(s.version).toBe('2026.8.2');
    expect(records(run, 'log_file_opened')[0]).toMatchObject({ offset: 0, from: 'start' });

    // An operator empties the file (logrotate's copytruncate); cloudflared appends at its own offset (O_APPEND
    // puts it at the new end). What it writes next is still read: an edge-closed connection and its return.
    truncateSync(logFile, 0);
    await run.until(() => records(run, 'log_file_truncated')[0], 'the truncation noticed', 10_000);
    const [before] = await world.edge.registered(4);
    if (before === undefined) throw new Error('the edge holds no connection');
    await world.edge.fault({ action: 'close', conn: before.id });
    await statusUntil(run, (x) => (x.connections.some((c) => c.connIndex === before.connIndex && c.up && c.connectionId !== before.id) ? x : undefined), 'the closed connection back under a new id, seen in the log', 30_000);

    run.child.kill('SIGTERM');
    await new Promise((resolve) => run.child.once('exit', resolve));
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
