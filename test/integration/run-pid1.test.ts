// tunnelwatch as PID 1 (a container without an init): in a new PID namespace it must still restart a crashed
// connector without leaving a zombie, stop on SIGTERM with a clean exit, and say that it runs as PID 1.
// Needs util-linux `unshare` and the right to create PID namespaces (root, as in CI); fails loudly without.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { poll } from '../helpers/run-process.js';

const BIN = fileURLToPath(new URL('../../bin/tunnelwatch', import.meta.url));

/** [pid, ppid, state] of every process on the host. */
function processes(): [number, number, string][] {
  const out: [number, number, string][] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push([Number(name), Number(rest[1]), rest[0] ?? '?']);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** POSTs a fault; a crash fault may end the emulator before it answers, so a hang-up counts as sent. */
function post(address: string, body: string): Promise<void> {
  return new Promise((resolve) => {
    const req = request(`http://${address}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => { resolve(); });
    });
    req.on('error', () => { resolve(); });
    req.end(body);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'tw-pid1-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('tunnelwatch as PID 1 of its own PID namespace', () => {
  it('restarts a crashed connector without a zombie, logs that it is PID 1, and exits 0 on SIGTERM', async () => {
    const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']);
    if (probe.error !== undefined || probe.status !== 0) {
      throw new Error(`cannot create a PID namespace with unshare (util-linux): ${probe.error?.message ?? probe.stderr.toString()}; run as root`);
    }
    const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, BIN, 'run', '--cloudflared', 'emulator', '--time-scale', '0.05'], {
      env: {
        PATH: process.env.PATH,
        TUNNELWATCH_LOGS_SPOOL_DIR: join(dir, 'spool'),
        TUNNELWATCH_SERVER_LISTEN: '127.0.0.1:0',
        TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
        TUNNELWATCH_CLOUDFLARED_GRACE_PERIOD: '2s',
        TUNNELWATCH_SUPERVISOR_RESTART_BACKOFF_INITIAL: '100ms',
        TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code); }));
    try {
      const records = (): Record<string, unknown>[] => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const own = (prefix: string): Record<string, unknown> | undefined => records().find((r) => r.source === 'tunnelwatch' && String(r.msg).startsWith(prefix));
      await poll(() => own('connector degraded -> healthy') ?? own('connector down -> healthy'), 'the connector healthy', 20_000);
      expect(own('running as PID 1')).toBeDefined();
      const portsFile = await poll(() => /connector addresses in (\S+)/.exec(stderr)?.[1], 'the ports file line');
      const control = (JSON.parse(readFileSync(portsFile, 'utf8')) as { control: string }).control;
      await post(control, '{"fault":"crash","exitCode":1}');
      await poll(() => records().find((r) => r.source === 'tunnelwatch' && r.run === 2), 'the restarted connector', 20_000);
      // The namespace's PID 1 is tunnelwatch: the child of `unshare` on the host.
      const tunnelwatch = processes().find(([, ppid]) => ppid === child.pid)?.[0];
      expect(tunnelwatch).toBeDefined();
      const zombies = processes().filter(([, ppid, state]) => ppid === tunnelwatch && state === 'Z');
      expect(zombies).toEqual([]);
      process.kill(tunnelwatch ?? 0, 'SIGTERM');
      expect(await exited).toBe(0);
      expect(own('stopped')).toMatchObject({ exit_code: 0 });
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
