// Steady-state footprint of `tunnelwatch run --cloudflared emulator` as a real sidecar runs it: a tunnel token
// and an edge API token are given, so tunnelwatch holds no emulated world of its own. The Cloudflare API
// emulator (`tunnelwatch emulate api`) is a separate process, the supervised emulated cloudflared is
// tunnelwatch's child, and the 100 extra origins are served by another child of the bench. Measured: resident
// memory (VmRSS) and CPU (utime+stime from /proc/<pid>/stat) of each process, beside a bare
// `node -e "setInterval(()=>{},1000)"` over the same window, plus tunnelwatch's RSS growth from right after
// start-up to the end of the window (a leak would show there). The window is two origin intervals (15 s each),
// six connector polls (5 s) and one edge poll (30 s), so every default interval is counted in full.
// Prints figures; not a test. Run: npm run build && node dist/bench/sidecar-footprint.bench.js
// (BENCH_WARMUP_S, BENCH_WINDOW_S, BENCH_ORIGINS; BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", goes to
// tunnelwatch's node, since NODE_OPTIONS refuses --cpu-prof)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTunnelToken } from '../src/cloudflared/token.js';
import { clockTicks, closeHttp, cpuTicks, httpRequest, mean, rssBytes, sleep, startApiProcess, startOriginFarm, startTunnelwatch, terminate } from './support.js';

const ORIGINS = Number(process.env.BENCH_ORIGINS ?? 100);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 30);
/** The bench must end within 45 s: a slow start-up (a loaded machine) shortens the window, never below 15 s. */
const BUDGET_S = 38;
const RSS_TARGET_MB = 40;
const CPU_TARGET_PERCENT = 0.5;

const ACCOUNT = randomBytes(16).toString('hex');
const TUNNEL = '6f1c2b7e-4d3a-4b8e-9c1f-2a5d7e9b0c34';
const SECRET = randomBytes(32);
const API_TOKEN = randomBytes(24).toString('base64url');

interface Watched {
  readonly name: string;
  readonly pid: number;
  readonly rss: number[];
  ticks: number;
}

const watch = (name: string, pid: number): Watched => ({ name, pid, rss: [], ticks: 0 });

function settingsYaml(ports: readonly number[]): string {
  const targets = ports.map((port, i) => `    - { name: o${String(i + 1)}, url: "http://127.0.0.1:${String(port)}/" }`);
  return `origins:\n  interval: 15s\n  targets:\n${targets.join('\n')}\n`;
}

/** One remotely-managed tunnel, as in test/integration/alerts-ha.test.ts. */
function seedJson(): string {
  return JSON.stringify({
    apiTokens: [API_TOKEN],
    accounts: [{ id: ACCOUNT, tunnels: [{ id: TUNNEL, name: 'footprint', secret: SECRET.toString('base64'), config_src: 'cloudflare', config: { version: 1, config: { ingress: [{ service: 'http_status:404' }] } } }] }],
  });
}

const load = [os.loadavg()[0] ?? NaN];
const benchStart = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'tw-bench-footprint-'));
const settingsFile = join(dir, 'settings.yaml');
const seedFile = join(dir, 'seed.json');
const portsFile = join(dir, 'connector.ports.json');
writeFileSync(seedFile, seedJson());
const farm = await startOriginFarm(ORIGINS);
writeFileSync(settingsFile, settingsYaml(farm.ports));
const bare = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
let windowS = WINDOW_S;
const run = await (async () => {
  const api = await startApiProcess(seedFile);
  try {
    const tw = await startTunnelwatch([], {
      TUNNELWATCH_SETTINGS: settingsFile,
      TUNNELWATCH_SERVER_LISTEN: '127.0.0.1:0',
      TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
      TUNNELWATCH_LOGS_SPOOL_DIR: join(dir, 'spool'),
      TUNNELWATCH_CLOUDFLARED_BINARY: 'emulator',
      TUNNELWATCH_CLOUDFLARED_TOKEN: encodeTunnelToken({ accountTag: ACCOUNT, tunnelId: TUNNEL, secret: SECRET }),
      TUNNELWATCH_EDGE_API_TOKEN: API_TOKEN,
      TUNNELWATCH_EDGE_ACCOUNT_ID: ACCOUNT,
      TUNNELWATCH_EDGE_TUNNEL_ID: TUNNEL,
      TUNNELWATCH_EDGE_BASE_URL: api.url,
      CFEMU_API: api.origin,
      CFEMU_EDGE: '127.0.0.1:0',
      CFEMU_CONTROL: '127.0.0.1:0',
      CFEMU_PORTS_FILE: portsFile,
    }, { portsFile, nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '') });
    const startupS = (performance.now() - benchStart) / 1000;
    const twPid = tw.child.pid ?? 0;
    const startupRss = rssBytes(twPid);
    const measured = [
      watch('tunnelwatch run (measured)', twPid),
      watch('bare node setInterval', bare.pid ?? 0),
      watch('emulated cloudflared (its child)', tw.connectorPid),
      watch('API emulator (separate process)', api.child.pid ?? 0),
    ];
    const origins = { up: 0, down: 0, unknown: 0 };
    let edge = 'unknown';
    try {
      await sleep(WARMUP_S * 1000);
      windowS = Math.min(WINDOW_S, Math.max(15, Math.floor(BUDGET_S - (performance.now() - benchStart) / 1000)));
      for (const w of measured) w.ticks = cpuTicks(w.pid);
      const windowStart = performance.now();
      for (let s = 1; s <= windowS; s++) {
        await sleep(windowStart + s * 1000 - performance.now());
        for (const w of measured) w.rss.push(rssBytes(w.pid));
      }
      for (const w of measured) w.ticks = cpuTicks(w.pid) - w.ticks;
      const status = JSON.parse((await httpRequest('GET', `http://${tw.address}/status`)).body) as { origins: { state: 'up' | 'down' | 'unknown' }[]; edge?: { status?: string; connectors?: unknown[] } };
      for (const o of status.origins) origins[o.state]++;
      edge = `${status.edge?.status ?? 'absent'}, ${String(status.edge?.connectors?.length ?? 0)} connector(s) on the tunnel`;
    } finally {
      await tw.stop();
    }
    return { measured, origins, edge, startupS, startupRss, stopCode: tw.child.exitCode };
  } finally {
    load.push(os.loadavg()[0] ?? NaN);
    await api.stop();
    await terminate(bare, 2000);
    await farm.stop();
    closeHttp();
    rmSync(dir, { recursive: true, force: true });
  }
})();
const { measured, origins, edge, startupS, startupRss, stopCode } = run;

const hz = clockTicks();
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const cpuPercent = (w: Watched): number => (w.ticks / hz / windowS) * 100;
const [tw, node] = measured;
console.log(
  `tunnelwatch run --cloudflared emulator with a tunnel token and the edge API (separate API emulator), ${String(ORIGINS)} extra origins (origins.interval 15s), default poll intervals; started in ${startupS.toFixed(1)} s, warm-up ${String(WARMUP_S)} s, window ${String(windowS)} s${windowS < WINDOW_S ? ` (cut from ${String(WINDOW_S)} s by the slow start)` : ''}`,
);
console.log(`origins at the end of the window: ${String(origins.up)} up, ${String(origins.down)} down, ${String(origins.unknown)} unknown; edge view: ${edge}`);
console.log(
  `load average (1 min) at start ${(load[0] ?? NaN).toFixed(2)}, at end ${(load[1] ?? NaN).toFixed(2)}, on ${String(os.availableParallelism())} cores; CPU from /proc in ${String(hz)} Hz ticks; bench wall time ${((performance.now() - benchStart) / 1000).toFixed(1)} s`,
);
console.log(`${'process'.padEnd(36)}${'RSS MB mean'.padStart(13)}${'first'.padStart(8)}${'last'.padStart(8)}${'max'.padStart(8)}${'CPU % core'.padStart(12)}`);
for (const w of measured) {
  const column = (bytes: number | undefined): string => mb(bytes ?? NaN).padStart(8);
  console.log(`${w.name.padEnd(36)}${mb(mean(w.rss)).padStart(13)}${column(w.rss[0])}${column(w.rss.at(-1))}${column(Math.max(...w.rss))}${cpuPercent(w).toFixed(2).padStart(12)}`);
}
if (tw !== undefined && node !== undefined) {
  const last = tw.rss.at(-1) ?? NaN;
  console.log(`tunnelwatch RSS right after start-up ${mb(startupRss)} MB, at the end of the window ${mb(last)} MB: growth ${mb(last - startupRss)} MB over ${(WARMUP_S + windowS).toFixed(0)} s`);
  const above = (mean(tw.rss) - mean(node.rss)) / 1024 / 1024;
  console.log(`RSS above bare node: ${above.toFixed(1)} MB  (target <= ${String(RSS_TARGET_MB)} MB) ${above <= RSS_TARGET_MB ? 'ok' : 'ABOVE TARGET'}`);
  const cpu = cpuPercent(tw);
  console.log(
    `tunnelwatch CPU: ${cpu.toFixed(2)} % of one core, ${(cpu - cpuPercent(node)).toFixed(2)} % above bare node  (target < ${String(CPU_TARGET_PERCENT)} %) ${cpu < CPU_TARGET_PERCENT ? 'ok' : 'ABOVE TARGET'}`,
  );
}
console.log('(the emulated cloudflared and the API emulator are not counted above)');
if (stopCode !== 0) console.log(`note: tunnelwatch exited with code ${String(stopCode)} on SIGTERM`);
