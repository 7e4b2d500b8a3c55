// A pid file beside the spool remembers which cloudflared tunnelwatch started (pid and start time). After
// tunnelwatch itself was killed (kill -9, OOM) its child lives on until it next writes a line into the dead pipe;
// the restarted tunnelwatch, holding the spool directory's lock, stops that stale connector first, so the two
// never fight over the metrics port. Only the very process recorded is stopped: a recycled pid is left alone.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSameProcess, processStartTime } from './process-identity.js';

const FILE = 'connector.pid';

export function pidFilePath(dir: string): string {
  return join(dir, FILE);
}

export function recordConnectorPid(dir: string, pid: number): void {
  writeFileSync(pidFilePath(dir), `${String(pid)} ${processStartTime(pid) ?? ''}\n`);
}

export function clearConnectorPid(dir: string): void {
  rmSync(pidFilePath(dir), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The argv of a live process, or undefined (not Linux, or the process is gone). */
function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return undefined;
  }
}

/**
 * Stops the connector a previous tunnelwatch left behind, if the pid file names a process that is provably it:
 * the same pid and start time, and `tunnel … run` on its command line. SIGTERM first; SIGKILL after `graceMs`.
 * Returns the pid it stopped.
 */
export async function stopStaleConnector(dir: string, graceMs: number, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<number | undefined> {
  let pid: number;
  let startTime: string;
  try {
    const [pidText = '', start = ''] = readFileSync(pidFilePath(dir), 'utf8').trim().split(' ');
    pid = Number.parseInt(pidText, 10);
    startTime = start;
  } catch {
    return undefined;
  }
  const argv = startTime !== '' && isSameProcess(pid, startTime) ? cmdline(pid) : undefined;
  if (argv === undefined || !argv.includes('tunnel') || argv[argv.length - 1] !== 'run') {
    clearConnectorPid(dir);
    return undefined;
  }
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; alive(pid) && waited < graceMs; waited += 50) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  clearConnectorPid(dir);
  return pid;
}
