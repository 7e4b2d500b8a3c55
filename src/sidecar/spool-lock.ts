// One tunnelwatch per spool directory. Two on one directory would ship the same spool twice and each would take
// the other's cloudflared for a stale one. The lock is a file created exclusively, naming its holder by pid and
// start time; a holder that is gone (or whose pid now belongs to another process) leaves a stale lock, taken over.
import { openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { isSameProcess, processStartTime } from './process-identity.js';

const FILE = 'tunnelwatch.lock';

interface Holder {
  readonly pid: number;
  readonly startTime: string;
  readonly since: string;
}

export class SpoolLockedError extends Error {
  constructor(dir: string, holder: Holder) {
    super(
      `the spool directory ${dir} is in use by another tunnelwatch (pid ${String(holder.pid)}, running since ${holder.since}); ` +
        'give each tunnelwatch its own logs.spoolDir (TUNNELWATCH_LOGS_SPOOL_DIR), or stop the other one',
    );
    this.name = 'SpoolLockedError';
  }
}

export interface SpoolLock {
  release(): void;
}

function readHolder(path: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return typeof holder.pid === 'number' && typeof holder.startTime === 'string' ? { pid: holder.pid, startTime: holder.startTime, since: String(holder.since) } : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the directory's lock or throws SpoolLockedError naming the live holder. */
export function lockSpoolDir(dir: string, now: () => number = Date.now): SpoolLock {
  const path = join(dir, FILE);
  const me: Holder = { pid: process.pid, startTime: processStartTime(process.pid) ?? '', since: new Date(now()).toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      if (holder !== undefined && isSameProcess(holder.pid, holder.startTime)) throw new SpoolLockedError(dir, holder);
      rmSync(path, { force: true });
      continue;
    }
    writeSync(fd, `${JSON.stringify(me)}\n`);
    closeSync(fd);
    return {
      release: () => {
        if (readHolder(path)?.pid === me.pid) rmSync(path, { force: true });
      },
    };
  }
  const holder = readHolder(path);
  throw holder === undefined ? new Error(`cannot take the lock ${path}`) : new SpoolLockedError(dir, holder);
}
