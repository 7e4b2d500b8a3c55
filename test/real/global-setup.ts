// Builds (or finds in the cache) the real cloudflared and the loopback edge once for the whole run, and hands their
// paths to the test files. A failed build fails the run with the script's own words: the suite never skips.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const SCRIPT = fileURLToPath(new URL('../../scripts/build-real-connector.sh', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    cloudflaredBinary: string;
    edgeBinary: string;
  }
}

export default function setup(project: TestProject): void {
  let out: string;
  try {
    out = execFileSync(SCRIPT, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  } catch (error) {
    throw new Error(`the real-connector suite needs the real cloudflared and the loopback edge, and ${SCRIPT} failed: ${(error as Error).message}`, { cause: error });
  }
  const paths = new Map(out.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  const cloudflared = paths.get('cloudflared');
  const edge = paths.get('edge');
  if (cloudflared === undefined || edge === undefined) throw new Error(`${SCRIPT} printed no cloudflared= and edge= lines:\n${out}`);
  project.provide('cloudflaredBinary', cloudflared);
  project.provide('edgeBinary', edge);
}
