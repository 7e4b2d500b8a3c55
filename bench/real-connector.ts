// The real cloudflared 2026.8.2 and the loopback edge, built from source by scripts/build-real-connector.sh (cached
// by checksum): the paths it prints. For the benchmarks that run the real binary.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './support.js';

export function realConnectorBinaries(): { cloudflared: string; edge: string } {
  const out = execFileSync(join(ROOT, 'scripts/build-real-connector.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const paths = new Map(out.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  const [cloudflared, edge] = [paths.get('cloudflared'), paths.get('edge')];
  if (cloudflared === undefined || edge === undefined) throw new Error(`scripts/build-real-connector.sh printed no cloudflared= and edge= lines:\n${out}`);
  return { cloudflared, edge };
}
