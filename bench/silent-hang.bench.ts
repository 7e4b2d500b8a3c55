// How long until the silent HTTP/2 hang is named: the real cloudflared 2026.8.2 (built by
// scripts/build-real-connector.sh, cached) runs over HTTP/2 under `tunnelwatch run` through the loopback edge, with
// checks through the tunnel (endToEnd) against the edge's public listener; the edge then stops answering on every
// connection. cloudflared never notices (its /ready stays 200); the figure is the time from the mute to
// tunnel_not_serving on /status, over a few rounds. Prints figures; not a test.
// Run: npm run build && node dist/bench/silent-hang.bench.js   (BENCH_ROUNDS, BENCH_INTERVAL_MS, BENCH_TIMEOUT_MS)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiEmulator } from '../src/emulator/api/main.js';
import { startHttpOrigin } from '../src/emulator/origins.js';
import { BIN, launchEnv, launchNodeFlags } from './launcher.js';
import { LoopbackEdge } from './loopback-edge.js';
import { realConnectorBinaries } from './real-connector.js';
import { waitFor } from './obs-servers.js';
import { percentile, sleep } from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const INTERVAL_MS = Number(process.env.BENCH_INTERVAL_MS ?? 4000);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 3000);
const ACCOUNT = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e';
const TUNNEL = '3a5c7e9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d';
const HOST = 'app.bench.example';

interface Status {
  readonly registeredConnections: number;
  readonly diagnosis: readonly { readonly cause: string }[];
}

/** Raised when a round's tunnel never came up, so the round measured nothing (not the figure this bench is for). */
class SetupFailed extends Error {}

async function round(bins: { cloudflared: string; edge: string }): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-bench-hang-'));
  const app = await startHttpOrigin({ listen: '127.0.0.1:0', name: 'app' });
  const api = await startApiEmulator({ seed: { apiTokens: ['bench'], colos: ['lax01', 'lax08', 'sjc05', 'sjc01'], accounts: [{ id: ACCOUNT, tunnels: [{ id: TUNNEL, name: 'bench' }] }] } });
  const edge = await LoopbackEdge.start(bins.edge, dir, { api: api.origin });
  const config = join(dir, 'config.yml');
  writeFileSync(config, `ingress:\n  - hostname: ${HOST}\n    service: http://${app.address}\n  - service: http_status:404\n`);
  const tw = spawn(process.execPath, [...launchNodeFlags(), BIN, 'run', '--cloudflared', bins.cloudflared], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...launchEnv(),
      TUNNELWATCH_CLOUDFLARED_TOKEN: api.tunnelToken(ACCOUNT, TUNNEL) ?? '',
      TUNNELWATCH_CLOUDFLARED_PROTOCOL: 'http2',
      TUNNELWATCH_CLOUDFLARED_CONFIG: config,
      TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: edge.cloudflaredArgs().join(','),
      TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
      TUNNELWATCH_SERVER_LISTEN: '127.0.0.1:0',
      TUNNELWATCH_LOGS_SPOOL_DIR: join(dir, 'spool'),
      TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
      TUNNELWATCH_END_TO_END_URLS: `http://${HOST}/`,
      TUNNELWATCH_END_TO_END_ENTRANCE: edge.info.public,
      TUNNELWATCH_END_TO_END_INTERVAL: `${String(INTERVAL_MS)}ms`,
      TUNNELWATCH_END_TO_END_TIMEOUT: `${String(TIMEOUT_MS)}ms`,
    },
  });
  let out = '';
  tw.stdout.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  try {
    const serving = (): string | undefined => {
      for (const line of out.split('\n')) {
        if (!line.includes('serving /metrics')) continue;
        const record = JSON.parse(line) as { msg?: string; address?: string };
        if (record.msg?.startsWith('serving /metrics') === true) return record.address;
      }
      return undefined;
    };
    const address = await waitFor(serving, 'tunnelwatch serving', 30_000);
    const status = async (): Promise<Status | undefined> => fetch(`http://${address}/status`).then(async (r) => (await r.json()) as Status, () => undefined);
    await waitFor(async () => ((await status())?.registeredConnections === 4 ? true : undefined), '4 registered connections', 60_000).catch(async (e: unknown) => {
      const held = await edge.connections().catch(() => []);
      throw new SetupFailed(`${String(e)}\nthe edge holds: ${JSON.stringify(held)}\nthe edge's last lines:\n${edge.log.slice(-4000)}\ntunnelwatch's last lines:\n${out.slice(-6000)}`);
    });
    // One served check first, so the clock starts from a tunnel known to serve.
    await sleep(INTERVAL_MS + TIMEOUT_MS);
    await edge.fault({ action: 'mute' });
    const muted = performance.now();
    await waitFor(async () => ((await status())?.diagnosis.some((d) => d.cause === 'tunnel_not_serving') === true ? true : undefined), 'tunnel_not_serving', 60_000);
    return performance.now() - muted;
  } finally {
    tw.kill('SIGTERM');
    await new Promise((resolve) => tw.once('exit', resolve));
    await edge.stop();
    await api.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const bins = realConnectorBinaries();
const times: number[] = [];
const setupFailures: string[] = [];
// A tunnel that does not come up is retried (at most twice per round) and reported, never silently dropped.
while (times.length < ROUNDS) {
  try {
    times.push(await round(bins));
  } catch (error) {
    if (!(error instanceof SetupFailed) || setupFailures.length >= 2 * ROUNDS) throw error;
    setupFailures.push(error.message);
    console.error(`round ${String(times.length + 1)}: the tunnel did not come up; retrying\n${error.message}`);
  }
}
if (setupFailures.length > 0) console.log(`rounds retried because the tunnel never came up: ${String(setupFailures.length)} (their edge and tunnelwatch lines are on stderr)`);
console.log(`# silent HTTP/2 hang (edge stops answering, cloudflared keeps its connections and /ready 200), ${String(ROUNDS)} rounds, endToEnd.interval ${String(INTERVAL_MS)} ms, timeout ${String(TIMEOUT_MS)} ms`);
console.log(`silent-hang detection  p50 ${(percentile(times, 50) / 1000).toFixed(1)} s  max ${(Math.max(...times) / 1000).toFixed(1)} s  (target: within interval + timeout = ${((INTERVAL_MS + TIMEOUT_MS) / 1000).toFixed(1)} s; cloudflared itself: never)`);
