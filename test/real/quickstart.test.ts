// README.md's "on this host" quick start, followed as written against the real cloudflared and the loopback edge: the
// token in `tunnel-token`, the README's `run` line, its `curl .../status` (as a fetch) until the answer says what the
// README's comment says, then its `kill`. The commands are read from the README; what cannot be the same here is
// substituted below, each substitution named with why, and nothing else.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { commandOf, expand, killOf, options, quickStarts, recipeRunning } from '../helpers/quickstart.js';
import { ownRecord, serverAddress, type StatusBody } from '../helpers/run-observe.js';
import { isGone, poll, trackedProcesses } from '../helpers/run-process.js';
import { startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();
const recipe = recipeRunning(quickStarts(), './bin/tunnelwatch');
const run = commandOf(recipe, './bin/tunnelwatch run', (a) => a[0] === './bin/tunnelwatch' && a[1] === 'run');
const curl = commandOf(recipe, 'curl', (a) => a[0] === 'curl');
const kill = killOf(commandOf(recipe, 'kill', (a) => a[0] === 'kill'));

describe('README quick start on this host, with the real cloudflared', () => {
  let world: RealWorld;
  // A token from the dashboard belongs to a dashboard-managed tunnel: the edge pushes its ingress, no config file.
  beforeAll(async () => { world = await startRealWorld({ protocol: 'auto', remote: true }); });
  afterAll(async () => { await world.stop(); });

  it('runs, answers /status as its comment says, and stops clean on its kill with no cloudflared left', async () => {
    // The shell's part: $PWD is this test's directory, holding tunnel-token as the quick starts' lead asks.
    const pwd = p.tempDir('tw-quickstart-');
    const env = Object.fromEntries(Object.entries(run.env).map(([k, v]) => [k, expand(v, { PWD: pwd })]));
    const tokenFile = env.TUNNELWATCH_CLOUDFLARED_TOKEN_FILE ?? '';
    expect(dirname(tokenFile), 'the token file is created in $PWD only').toBe(pwd);
    writeFileSync(tokenFile, `${world.token}\n`, { mode: 0o600 });

    const substituted: Record<string, string> = {
      // Cloudflare's edge is replaced by the loopback edge: its addresses and CA as cloudflared flags (as world.ts does).
      TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: world.edge.cloudflaredArgs().join(','),
      // The reachability checks dial Cloudflare's real edge, which this world replaces; on, they would reach the internet.
      TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
      // Ports: cloudflared's default metrics port (20241) may be held by another run on this machine.
      TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
      // Like a port, the default spool (~/.local/state/tunnelwatch/spool) is held by one tunnelwatch at a time.
      TUNNELWATCH_LOGS_SPOOL_DIR: join(pwd, 'spool'),
    };
    for (const name of Object.keys(substituted)) expect(env, `the README sets ${name}, which this test replaces`).not.toHaveProperty(name);

    // Ports again: the README's --listen port, 9464, may be taken here; the host stays as written.
    const args = options(run.argv.slice(2));
    const listen = args.values.get('--listen')?.at(-1) ?? '';
    const host = listen.slice(0, listen.lastIndexOf(':'));
    expect([...args.values.keys()], 'flags this test knows how to substitute').toEqual(['--listen']);
    expect(args.operands).toEqual([]);
    expect(join(ROOT, run.argv[0] ?? '')).toBe(BIN);
    // The binary: the real cloudflared built for this suite instead of `cloudflared` on PATH (run's --cloudflared).
    const tw = p.run({ ...env, ...substituted }, ['--listen', `${host}:0`], world.cloudflared);

    // curl's host and path as written, on the port tunnelwatch got instead of the README's.
    const url = new URL(`http://${options(curl.argv.slice(1), ['-s']).operands[0] ?? ''}`);
    expect(url.port).toBe(listen.slice(listen.lastIndexOf(':') + 1));
    const serving = await serverAddress(tw);
    const at = `http://${url.hostname}:${serving.slice(serving.lastIndexOf(':') + 1)}${url.pathname}`;
    const state = /"state":"(\w+)"/.exec(curl.comment)?.[1];
    const connections = Number(/(\d+) registeredConnections/.exec(curl.comment)?.[1]);
    expect(state).toBe('healthy');
    // The comment's count is what the README's run holds by default, not an artefact of the loopback edge.
    const settings = loadSettings({ env });
    expect(settings.ok && settings.settings.cloudflared.haConnections).toBe(connections);
    let last: StatusBody | undefined;
    const status = await poll(async () => {
      const res = await fetch(at, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      last = (await res.json()) as StatusBody;
      return last.state === state && last.registeredConnections === connections ? last : undefined;
    }, `${at} to say "state":"${state ?? ''}" with ${String(connections)} registeredConnections`, 60_000).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last answer: ${JSON.stringify({ state: last?.state, registered: last?.registeredConnections, reasons: last?.reasons })}`);
    });
    expect(status.expectedConnections).toBe(connections);
    expect((await world.edge.registered(connections)).every((c) => c.version === '2026.8.2')).toBe(true);

    // The README's kill: its signal to the job started with `&`.
    const connector = tw.connectorPids();
    tw.child.kill(kill.signal);
    expect((await tw.closed).code).toBe(0);
    // "cloudflared drains its connections": each one unregistered before it exited.
    const drained = tw.records.filter((r) => r.source === 'cloudflared' && r.event === 'unregistered').map((r) => r.conn_index);
    expect(new Set(drained).size).toBe(connections);
    expect(ownRecord(tw, 'stopped')).toMatchObject({ exit_code: 0, killed: false });
    expect(connector.length).toBeGreaterThan(0);
    expect(connector.filter((pid) => !isGone(pid))).toEqual([]);
  });
});
