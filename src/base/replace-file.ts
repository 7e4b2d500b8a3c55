import { renameSync, writeFileSync } from 'node:fs';

/** Writes `text` to a temporary file beside `path`, then renames it over `path`: a reader sees the old or the new file, never half of one. */
export function replaceFileSync(path: string, text: string): void {
  const tmp = `${path}.${String(process.pid)}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
