import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processStartTime } from '../src/sidecar/process-identity.js';
import { lockSpoolDir, SpoolLockedError } from '../src/sidecar/spool-lock.js';
import { pidFilePath, recordConnectorPid, stopStaleConnector } from '../src/sidecar/stale-connector.js';
import { isGone, poll } from './helpers/run-process.js';

const dirs: string[] = [];
const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0)) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'tw-lock-'));
  dirs.push(d);
  return d;
};

/** A live process whose argv looks like cloudflared's (`… tunnel … run`). */
function fakeConnector(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'tunnel', 'run'], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error('no child');
  children.push(child.pid);
  return child.pid;
}

describe('the spool directory lock', () => {
  it('is held by one tunnelwatch: a second is refused with the holder named; released, it can be taken', () => {
    const dir = tempDir();
    const lock = lockSpoolDir(dir, () => Date.parse('2026-12-06T12:00:00Z'));
    expect(() => lockSpoolDir(dir)).toThrow(SpoolLockedError);
    expect(() => lockSpoolDir(dir)).toThrow(
      `the spool directory ${dir} is in use by another tunnelwatch (pid ${String(process.pid)}, running since 2026-12-06T12:00:00.000Z); give each tunnelwatch its own logs.spoolDir (TUNNELWATCH_LOGS_SPOOL_DIR), or stop the other one`,
    );
    lock.release();
    expect(existsSync(join(dir, 'tunnelwatch.lock'))).toBe(false);
    lockSpoolDir(dir).release();
  });

  it('is taken over from a holder that is gone, or whose pid now names another process', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tunnelwatch.lock'), JSON.stringify({ pid: process.pid, startTime: 'not-my-start', since: 'then' }));
    const lock = lockSpoolDir(dir);
    expect(JSON.parse(readFileSync(join(dir, 'tunnelwatch.lock'), 'utf8'))).toMatchObject({ pid: process.pid, startTime: processStartTime(process.pid) });
    lock.release();
    writeFileSync(join(dir, 'tunnelwatch.lock'), 'garbage');
    lockSpoolDir(dir).release();
  });
});

describe('the stale connector', () => {
  it('is stopped when the pid file names the very process (pid and start time)', async () => {
    const dir = tempDir();
    const pid = fakeConnector();
    await poll(() => processStartTime(pid), 'the child to start');
    recordConnectorPid(dir, pid);
    expect(await stopStaleConnector(dir, 2000)).toBe(pid);
    await poll(() => (isGone(pid) ? true : undefined), 'the stale connector to exit');
    expect(existsSync(pidFilePath(dir))).toBe(false);
  });

  it('is left alone when the start time differs (a recycled pid) or the file has none (not provable)', async () => {
    const dir = tempDir();
    const pid = fakeConnector();
    await poll(() => processStartTime(pid), 'the child to start');
    for (const content of [`${String(pid)} 1\n`, `${String(pid)}\n`]) {
      writeFileSync(pidFilePath(dir), content);
      expect(await stopStaleConnector(dir, 2000)).toBeUndefined();
      expect(isGone(pid)).toBe(false);
    }
  });
});
