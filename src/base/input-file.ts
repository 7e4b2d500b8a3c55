// Reading a config or settings file the user named: regular files only, bounded in size, and when that fails,
// why, in words that say what to do.
import { readFileSync, statSync } from 'node:fs';

/** The largest config or settings file read: real ones are a few kilobytes. */
export const MAX_INPUT_BYTES = 1 << 20;

/**
 * Reads a regular file of at most MAX_INPUT_BYTES; undefined otherwise (see whyUnreadable). A FIFO or device
 * given as a config would block the read for ever; a huge file would cost memory and time before any check.
 */
export function readTextOrUndefined(path: string): string | undefined {
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size > MAX_INPUT_BYTES) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Why readTextOrUndefined gave nothing for `path`, with what to do. */
export function whyUnreadable(path: string): string {
  try {
    const st = statSync(path);
    if (!st.isFile()) return `${path} is not a regular file (a directory, FIFO or device); give the path of the file itself`;
    if (st.size > MAX_INPUT_BYTES) return `${path} is ${String(st.size)} bytes, more than the ${String(MAX_INPUT_BYTES)} read at most; is it the right file?`;
    readFileSync(path);
    return `${path} could not be read`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path} does not exist; check the path` : `${path} cannot be read (${code ?? 'error'}); check its permissions`;
  }
}
