// AttachedConnector: lines of a cloudflared it did not start come from its log file; the read position survives a
// restart of tunnelwatch; a restart asked by policy is a SIGTERM to the pid file's process, or refused without one;
// holding the connector down (fencing) is refused; stopping leaves cloudflared alone.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AttachedConnector } from '../src/supervisor/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(extra: { pidFile?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tw-attached-'));
  dirs.push(dir);
  const logFile = join(dir, 'cloudflared.log');
  writeFileSync(logFile, '{"level":"info","message":"before"}\n');
  const make = (): { c: AttachedConnector; lines: string[]; follow: string[] } => {
    const c = new AttachedConnector({ logFile, metricsAddress: '127.0.0.1:2000', from: 'start', positionFile: join(dir, 'position.json'), maxLineBytes: 1 << 16, pollMs: 10, ...extra });
    const lines: string[] = [];
    const follow: string[] = [];
    c.on('line', ({ line }) => lines.push(line));
    c.on('follow', (e) => follow.push(e.kind === 'opened' ? `opened ${e.from} ${String(e.offset)}` : e.kind));
    return { c, lines, follow };
  };
  return { dir, logFile, make };
}

describe('AttachedConnector', () => {
  it('emits the file\'s lines, saves where it stopped, and a new one resumes there', async () => {
    const { logFile, make } = setup();
    const first = make();
    const attached = vi.fn();
    first.c.on('attached', attached);
    first.c.start();
    expect(first.c.state).toBe('running');
    expect(first.c.metricsAddress).toBe('127.0.0.1:2000');
    expect(attached).toHaveBeenCalledWith({ file: logFile, pid: undefined });
    await vi.waitFor(() => { expect(first.lines).toEqual(['{"level":"info","message":"before"}']); });
    appendFileSync(logFile, '{"level":"info","message":"second"}\n');
    await vi.waitFor(() => { expect(first.lines).toHaveLength(2); });
    await first.c.stop();
    expect(first.c.state).toBe('stopped');

    appendFileSync(logFile, '{"level":"info","message":"while away"}\n');
    const second = make();
    second.c.start();
    await vi.waitFor(() => { expect(second.lines).toEqual(['{"level":"info","message":"while away"}']); });
    expect(second.follow[0]).toMatch(/^opened resume \d+$/);
    await second.c.stop();
  });

  it('cannot hold the connector down, and without a pid file cannot restart it', async () => {
    const { make } = setup();
    const { c } = make();
    c.start();
    expect(await c.hold()).toBe(false);
    expect(c.release()).toBe(false);
    expect(c.restartChild({ kind: 'disconnected_too_long' })).toBe(false);
    expect(c.alive).toBe(true);
    await c.stop();
    expect(c.alive).toBe(false);
  });

  it('restarts through SIGTERM to the pid in the pid file, and leaves the process alone when it stops', async () => {
    const child = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => { console.log("term"); process.exit(0); }); setInterval(() => {}, 1000); console.log("up")'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((resolve) => child.stdout.once('data', resolve));
      const pidFile = join(mkdtempSync(join(tmpdir(), 'tw-attached-pid-')), 'cloudflared.pid');
      dirs.push(join(pidFile, '..'));
      writeFileSync(pidFile, `${String(child.pid)}\n`);
      const { make } = setup({ pidFile });
      const { c } = make();
      const signalled = vi.fn();
      c.on('signalled', signalled);
      c.start();
      expect(c.pid).toBe(child.pid);
      await c.stop();
      expect(child.exitCode).toBeNull();

      const again = make().c;
      again.on('signalled', signalled);
      again.start();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      expect(again.restartChild({ kind: 'restore_quic' })).toBe(true);
      expect(signalled).toHaveBeenCalledWith({ pid: child.pid, reason: { kind: 'restore_quic' } });
      expect(await exited).toBe(0);
      await again.stop();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
