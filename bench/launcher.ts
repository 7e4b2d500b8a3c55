// How bin/tunnelwatch starts Node: with the environment and flags on its first line
// (`#!/usr/bin/env -S [NAME=value ...] node <flags>`). Benchmarks and tests that spawn `node <flags of their own>
// bin/tunnelwatch` pass these too, so what they measure is what the launcher runs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** bin/tunnelwatch, from dist/bench/launcher.js as from bench/launcher.ts. */
export const BIN = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../bin/tunnelwatch' : '../bin/tunnelwatch', import.meta.url));

const FIRST_LINE = /^#!\/usr\/bin\/env -S((?: [A-Z_]+=\S+)*) node((?: --[\w-]+(?:=\S+)?)*)$/;

/** The variables and node flags of the launcher's first line; throws when the line is not `#!/usr/bin/env -S [NAME=value ...] node ...`. */
function firstLine(bin: string): { env: Record<string, string>; flags: string[] } {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  const match = FIRST_LINE.exec(first);
  if (match === null) throw new Error(`${bin}: the first line should be "#!/usr/bin/env -S [NAME=value ...] node [--flag ...]", found ${JSON.stringify(first)}`);
  const words = (s: string | undefined): string[] => (s ?? '').split(' ').filter((w) => w !== '');
  return { env: Object.fromEntries(words(match[1]).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)])), flags: words(match[2]) };
}

/** The node flags of the launcher's first line. */
export function launchNodeFlags(bin = BIN): string[] {
  return firstLine(bin).flags;
}

/** The environment variables the launcher's first line sets (read by the C library when Node starts). */
export function launchEnv(bin = BIN): Record<string, string> {
  return firstLine(bin).env;
}
