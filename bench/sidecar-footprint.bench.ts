// Footprint of `tunnelwatch run --cloudflared emulator` as a real sidecar runs it: a tunnel token and an edge API
// token are given, so tunnelwatch holds no emulated world of its own. The Cloudflare API emulator (`tunnelwatch
// emulate api`) is a separate process and the supervised emulated cloudflared is tunnelwatch's child. Two set-ups,
// one after the other: the default one (the tunnel only, which is what "idle" means for the CPU target), and one
// with 100 extra origins, served by another child of the bench, probed every 15 s. Measured: resident memory
// (VmRSS) and CPU (utime+stime from /proc/<pid>/stat) of each process, beside a bare
// `node -e "setInterval(()=>{},1000)"`, in two windows:
// - after start-up (from 3 s to 33 s): start-up's garbage is still on the heap until V8's memory reducer runs, and
//   the JIT is still compiling what became hot;
// - at rest (from 60 s to 120 s), where the targets apply: what a replica costs for as long as it runs.
// Each window spans whole default intervals (15 s origins, 5 s connector polls, 30 s edge polls). Also printed:
// tunnelwatch's peak RSS (VmHWM), its RSS growth across the run (a leak would show there), and what the probes of
// the extra origins cost, per probe.
// Prints figures; not a test. Run: npm run build && node dist/bench/sidecar-footprint.bench.js
// (BENCH_REST_AFTER_S, BENCH_REST_WINDOW_S, BENCH_ORIGINS (0: the default set-up only); BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof",
// goes to tunnelwatch's node, since NODE_OPTIONS refuses --cpu-prof)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTunnelToken } from '../src/cloudflared/token.js';
import { clockTicks, closeHttp, cpuTicks, httpRequest, mean, peakRssBytes, rssBytes, sleep, startApiProcess, startOriginFarm, startTunnelwatch, terminate } from './support.js';

const ORIGINS = Number(process.env.BENCH_ORIGINS ?? 100);
const REST_AFTER_S = Number(process.env.BENCH_REST_AFTER_S ?? 60);
const REST_WINDOW_S = Number(process.env.BENCH_REST_WINDOW_S ?? 60);
/** The windows, in seconds since tunnelwatch announced its addresses. */
const WINDOWS = [
  { name: 'after start-up', from: 3, to: 33 },
  { name: 'at rest', from: REST_AFTER_S, to: REST_AFTER_S + REST_WINDOW_S },
] as const;
const RSS_TARGET_MB = 40;
const CPU_TARGET_PERCENT = 0.5;

const ACCOUNT = randomBytes(16).toString('hex');
const TUNNEL = '6f1c2b7e-4d3a-4b8e-9c1f-2a5d7e9b0c34';
const SECRET = randomBytes(32);
const API_TOKEN = randomBytes(24).toString('base64url');

interface Watched {
  readonly name: string;
  readonly pid: number;
  /** Per window: RSS sampled every second, and CPU ticks over it. */
  readonly windows: { rss: number[]; ticks: number }[];
}

const watch = (name: string, pid: number): Watched => ({ name, pid, windows: WINDOWS.map(() => ({ rss: [], ticks: 0 })) });

function settingsYaml(ports: readonly number[]): string {
  if (ports.length === 0) return 'origins:\n  interval: 15s\n';
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

/** One set-up, measured: `origins` extra origins served by a farm child (none: the tunnel's own ingress only). */
async function measure(origins: number) {
  const load = [os.loadavg()[0] ?? NaN];
  const benchStart = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'tw-bench-footprint-'));
  const settingsFile = join(dir, 'settings.yaml');
  const seedFile = join(dir, 'seed.json');
  const portsFile = join(dir, 'connector.ports.json');
  writeFileSync(seedFile, seedJson());
  const farm = origins > 0 ? await startOriginFarm(origins) : { ports: [], stop: () => Promise.resolve() };
  writeFileSync(settingsFile, settingsYaml(farm.ports));
  const bare = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
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
    const seen = { up: 0, down: 0, unknown: 0 };
    let edge = 'unknown';
    let peakRss = NaN;
    let lastRss = NaN;
    try {
      const start = performance.now();
      const end = Math.max(...WINDOWS.map((w) => w.to));
      for (let s = 1; s <= end; s++) {
        await sleep(start + s * 1000 - performance.now());
        WINDOWS.forEach((window, i) => {
          for (const w of measured) {
            const mine = w.windows[i];
            if (mine === undefined) continue;
            if (s === window.from) mine.ticks = -cpuTicks(w.pid);
            if (s === window.to) mine.ticks += cpuTicks(w.pid);
            if (s > window.from && s <= window.to) mine.rss.push(rssBytes(w.pid));
          }
        });
      }
      peakRss = peakRssBytes(twPid);
      lastRss = rssBytes(twPid);
      const status = JSON.parse((await httpRequest('GET', `http://${tw.address}/status`)).body) as { origins: { state: 'up' | 'down' | 'unknown' }[]; edge?: { status?: string; connectors?: unknown[] } };
      for (const o of status.origins) seen[o.state]++;
      edge = `${status.edge?.status ?? 'absent'}, ${String(status.edge?.connectors?.length ?? 0)} connector(s) on the tunnel`;
    } finally {
      await tw.stop();
    }
    return { measured, origins: seen, edge, startupS, startupRss, peakRss, lastRss, stopCode: tw.child.exitCode, load, wallS: (performance.now() - benchStart) / 1000 };
  } finally {
    load.push(os.loadavg()[0] ?? NaN);
    await api.stop();
    await terminate(bare, 2000);
    await farm.stop();
    closeHttp();
    rmSync(dir, { recursive: true, force: true });
  }
}

const hz = clockTicks();
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const cpuPercent = (w: Watched, i: number): number => {
  const window = WINDOWS[i];
  return window === undefined ? NaN : ((w.windows[i]?.ticks ?? NaN) / hz / (window.to - window.from)) * 100;
};

/** Prints one set-up's figures; `judgeCpu` says whether the idle-CPU target applies to it. */
function report(title: string, r: Awaited<ReturnType<typeof measure>>, judgeCpu: boolean): void {
  console.log(`== ${title}: tunnelwatch run --cloudflared emulator with a tunnel token and the edge API (separate API emulator), default poll intervals; started in ${r.startupS.toFixed(1)} s`);
  console.log(`origins at the end: ${String(r.origins.up)} up, ${String(r.origins.down)} down, ${String(r.origins.unknown)} unknown; edge view: ${r.edge}`);
  console.log(
    `load average (1 min) at start ${(r.load[0] ?? NaN).toFixed(2)}, at end ${(r.load[1] ?? NaN).toFixed(2)}, on ${String(os.availableParallelism())} cores; CPU from /proc in ${String(hz)} Hz ticks; wall time ${r.wallS.toFixed(1)} s`,
  );
  WINDOWS.forEach((window, i) => {
    console.log(`${window.name}, from ${String(window.from)} s to ${String(window.to)} s:`);
    console.log(`  ${'process'.padEnd(36)}${'RSS MB mean'.padStart(13)}${'first'.padStart(8)}${'last'.padStart(8)}${'max'.padStart(8)}${'CPU % core'.padStart(12)}`);
    for (const w of r.measured) {
      const rss = w.windows[i]?.rss ?? [];
      const column = (bytes: number | undefined): string => mb(bytes ?? NaN).padStart(8);
      console.log(`  ${w.name.padEnd(36)}${mb(mean(rss)).padStart(13)}${column(rss[0])}${column(rss.at(-1))}${column(Math.max(...rss))}${cpuPercent(w, i).toFixed(2).padStart(12)}`);
    }
  });
  const [tw, node] = r.measured;
  if (tw === undefined || node === undefined) return;
  console.log(`tunnelwatch RSS right after start-up ${mb(r.startupRss)} MB, at the end ${mb(r.lastRss)} MB (growth ${mb(r.lastRss - r.startupRss)} MB); peak (VmHWM) ${mb(r.peakRss)} MB`);
  WINDOWS.forEach((window, i) => {
    const above = (mean(tw.windows[i]?.rss ?? []) - mean(node.windows[i]?.rss ?? [])) / 1024 / 1024;
    const cpu = cpuPercent(tw, i);
    const judged = window.name === 'at rest';
    const verdict = (ok: boolean): string => (ok ? ' ok' : ' ABOVE TARGET');
    const rssTarget = judged ? ` (target <= ${String(RSS_TARGET_MB)} MB)${verdict(above <= RSS_TARGET_MB)}` : '';
    const cpuTarget = judged && judgeCpu ? ` (target < ${String(CPU_TARGET_PERCENT)} %)${verdict(cpu < CPU_TARGET_PERCENT)}` : '';
    console.log(
      `${title}, ${window.name}: RSS above bare node ${above.toFixed(1)} MB${rssTarget}; CPU ${cpu.toFixed(2)} % of one core, ${(cpu - cpuPercent(node, i)).toFixed(2)} % above bare node${cpuTarget}`,
    );
  });
  if (r.stopCode !== 0) console.log(`note: tunnelwatch exited with code ${String(r.stopCode)} on SIGTERM`);
}

const idle = await measure(0);
const loaded = ORIGINS > 0 ? await measure(ORIGINS) : undefined;
report('default set-up (the tunnel only, no extra origins)', idle, true);
if (loaded !== undefined) {
  report(`${String(ORIGINS)} extra origins (origins.interval 15s)`, loaded, false);
  const probesPerMinute = ORIGINS * 4;
  const [tw] = loaded.measured;
  const [twIdle] = idle.measured;
  const rest = WINDOWS.findIndex((w) => w.name === 'at rest');
  if (tw !== undefined && twIdle !== undefined) {
    const probeCpu = cpuPercent(tw, rest) - cpuPercent(twIdle, rest);
    console.log(
      `${String(ORIGINS)} extra origins: ${String(probesPerMinute)} probes a minute cost ${probeCpu.toFixed(2)} % of a core above the default set-up, ${((probeCpu / 100) * 60_000 / probesPerMinute).toFixed(2)} ms of CPU per probe (a new connection and GET each; the probe-cost bench compares one probe with blackbox_exporter's)`,
    );
  }
}
console.log('(the emulated cloudflared and the API emulator are not counted above; the idle-CPU target applies to the default set-up, the RSS target to both)');
