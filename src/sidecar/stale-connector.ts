// A pid file beside the spool remembers which cloudflared tunnelwatch started. After tunnelwatch itself was
// killed (kill -9, OOM) its child lives on until it next writes a line into the dead pipe; the restarted
// tunnelwatch stops that stale connector first, so the two never fight over the metrics port.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'connector.pid';

export function pidFilePath(dir: string): string {
  return join(dir, FILE);
}

export function recordConnectorPid(dir: string, pid: number): void {
  writeFileSync(pidFilePath(dir), `${String(pid)}\n`);
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
 * Stops the connector a previous tunnelwatch left behind, if the pid file names a live process that still
 * looks like it (`tunnel … run` on its command line: a recycled pid of something else is left alone).
 * SIGTERM first; SIGKILL after `graceMs`. Returns the pid it stopped.
 */
export async function stopStaleConnector(dir: string, graceMs: number, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFilePath(dir), 'utf8'), 10);
  } catch {
    return undefined;
  }
  const argv = Number.isInteger(pid) && pid > 1 && alive(pid) ? cmdline(pid) : undefined;
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
