// Steady-state footprint of `tunnelwatch run --cloudflared emulator` probing 100 extra origins with the default
// poll intervals: resident memory (VmRSS) and CPU (utime+stime from /proc/<pid>/stat) of the tunnelwatch
// process alone, beside a bare `node -e "setInterval(()=>{},1000)"` measured over the same window. The
// supervised emulator is a separate process, reported on its own line; the emulated Cloudflare API and the
// demo's three origins do run inside tunnelwatch (that is how `--cloudflared emulator` works without a token),
// so the figures are an upper bound of a real sidecar's. The window is two origin intervals (15 s each), six
// connector polls (5 s) and one edge poll (30 s), so every default interval is counted in full.
// Prints figures; not a test. Run: npm run build && node dist/bench/sidecar-footprint.bench.js
// (BENCH_WARMUP_S, BENCH_WINDOW_S, BENCH_ORIGINS)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clockTicks, closeHttp, cpuTicks, httpRequest, mean, rssBytes, sleep, startOriginFarm, startTunnelwatch, terminate } from './support.js';

const ORIGINS = Number(process.env.BENCH_ORIGINS ?? 100);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 30);
/** The bench must end within 40 s: a slow start-up (a loaded machine) shortens the window, never below 15 s. */
const BUDGET_S = 37;
const RSS_TARGET_MB = 40;
const CPU_TARGET_PERCENT = 0.5;

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

const load = [os.loadavg()[0] ?? NaN];
const benchStart = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'tw-bench-footprint-'));
const settingsFile = join(dir, 'settings.yaml');
const farm = await startOriginFarm(ORIGINS);
writeFileSync(settingsFile, settingsYaml(farm.ports));
const bare = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
let windowS = WINDOW_S;
const run = await (async () => {
  try {
    const tw = await startTunnelwatch([], {
      TUNNELWATCH_SETTINGS: settingsFile,
      TUNNELWATCH_SERVER_LISTEN: '127.0.0.1:0',
      TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
      TUNNELWATCH_LOGS_SPOOL_DIR: join(dir, 'spool'),
    });
    const startupS = (performance.now() - benchStart) / 1000;
    const measured = [watch('tunnelwatch run (measured)', tw.child.pid ?? 0), watch('bare node setInterval', bare.pid ?? 0), watch('emulated cloudflared (its child)', tw.connectorPid)];
    const origins = { up: 0, down: 0, unknown: 0 };
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
      const status = JSON.parse((await httpRequest('GET', `http://${tw.address}/status`)).body) as { origins: { state: 'up' | 'down' | 'unknown' }[] };
      for (const o of status.origins) origins[o.state]++;
    } finally {
      await tw.stop();
    }
    return { measured, origins, startupS, stopCode: tw.child.exitCode };
  } finally {
    load.push(os.loadavg()[0] ?? NaN);
    await terminate(bare, 2000);
    await farm.stop();
    closeHttp();
    rmSync(dir, { recursive: true, force: true });
  }
})();
const { measured, origins, startupS, stopCode } = run;

const hz = clockTicks();
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
const cpuPercent = (w: Watched): number => (w.ticks / hz / windowS) * 100;
const [tw, node, emulator] = measured;
console.log(
  `tunnelwatch run --cloudflared emulator, ${String(ORIGINS)} extra origins (origins.interval 15s), default poll intervals; started in ${startupS.toFixed(1)} s, warm-up ${String(WARMUP_S)} s, window ${String(windowS)} s${windowS < WINDOW_S ? ` (cut from ${String(WINDOW_S)} s by the slow start)` : ''}`,
);
console.log(`origins at the end of the window: ${String(origins.up)} up, ${String(origins.down)} down, ${String(origins.unknown)} unknown (the demo's dead origin is down, or unknown until its third failed round)`);
console.log(
  `load average (1 min) at start ${(load[0] ?? NaN).toFixed(2)}, at end ${(load[1] ?? NaN).toFixed(2)}, on ${String(os.availableParallelism())} cores; CPU from /proc in ${String(hz)} Hz ticks; bench wall time ${((performance.now() - benchStart) / 1000).toFixed(1)} s`,
);
console.log(`${'process'.padEnd(36)}${'RSS MB mean'.padStart(13)}${'first'.padStart(8)}${'last'.padStart(8)}${'max'.padStart(8)}${'CPU % core'.padStart(12)}`);
for (const w of measured) {
  const column = (bytes: number | undefined): string => mb(bytes ?? NaN).padStart(8);
  console.log(`${w.name.padEnd(36)}${mb(mean(w.rss)).padStart(13)}${column(w.rss[0])}${column(w.rss.at(-1))}${column(Math.max(...w.rss))}${cpuPercent(w).toFixed(2).padStart(12)}`);
}
if (tw !== undefined && node !== undefined) {
  const above = (mean(tw.rss) - mean(node.rss)) / 1024 / 1024;
  console.log(`RSS above bare node: ${above.toFixed(1)} MB  (target <= ${String(RSS_TARGET_MB)} MB) ${above <= RSS_TARGET_MB ? 'ok' : 'ABOVE TARGET'}`);
  const cpu = cpuPercent(tw);
  console.log(
    `tunnelwatch CPU: ${cpu.toFixed(2)} % of one core, ${(cpu - cpuPercent(node)).toFixed(2)} % above bare node  (target < ${String(CPU_TARGET_PERCENT)} %) ${cpu < CPU_TARGET_PERCENT ? 'ok' : 'ABOVE TARGET'}`,
  );
}
if (emulator !== undefined) console.log(`(the emulated cloudflared, pid ${String(emulator.pid)}, is not counted above)`);
if (stopCode !== 0) console.log(`note: tunnelwatch exited with code ${String(stopCode)} on SIGTERM`);
