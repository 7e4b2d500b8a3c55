// Which process a pid is, beyond its number: pids are recycled, so a pid written to a file earlier is only "the
// same process" when its start time (field 22 of /proc/<pid>/stat, in clock ticks since boot) is the same too.
import { readFileSync } from 'node:fs';

/** The start time of a live process, or undefined (gone, or no /proc). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // The command name in parentheses may hold blanks; the fields after it are plain.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and started at `startTime`: the very process that was recorded. */
export function isSameProcess(pid: number, startTime: string): boolean {
  return Number.isInteger(pid) && pid > 1 && processStartTime(pid) === startTime;
}
