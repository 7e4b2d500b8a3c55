// How bin/tunnelwatch starts Node: with the flags on its first line (`#!/usr/bin/env -S node <flags>`). Benchmarks
// and tests that spawn `node <flags of their own> bin/tunnelwatch` pass these too, so what they measure is what
// the launcher runs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** bin/tunnelwatch, from dist/bench/launcher.js as from bench/launcher.ts. */
export const BIN = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../bin/tunnelwatch' : '../bin/tunnelwatch', import.meta.url));

/** The node flags of the launcher's first line; throws when the line is not `#!/usr/bin/env -S node ...`. */
export function launchNodeFlags(bin = BIN): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!\/usr\/bin\/env -S node((?: --[\w-]+(?:=\S+)?)*)$/.exec(first);
  if (match === null) throw new Error(`${bin}: the first line should be "#!/usr/bin/env -S node [--flag ...]", found ${JSON.stringify(first)}`);
  return (match[1] ?? '').split(' ').filter((flag) => flag !== '');
}
