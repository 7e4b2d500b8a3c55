// Memory under floods that last (issue 14, item 3): `tunnelwatch run` with Loki down (its URL a closed port) and
// repeats not collapsed, so every line becomes a record in the spool and on stdout, the spool fills and then drops
// by keep class for the rest of the run. Two floods, each in a fresh tunnelwatch:
//  1. a stand-in connector that wants to write a 1 MB JSON line every millisecond, for BENCH_BIG_LINES_S (60). Each
//     line goes whole to its stderr pipe before the next, as Go's writer does: when tunnelwatch stops reading, the
//     writer waits, and the time it spends waiting is what backpressure looks like from the connector;
//  2. the real cloudflared's tight retry loop (its edge on a closed port, HTTP/2), for BENCH_TIGHT_LOOP_S (600).
// Prints tunnelwatch's RSS peak (VmHWM) and the last minute's RSS beside the aim (128 MiB) and the bound README
// documents (176 MiB), lines read, drops, and how far the writer got against what it wanted. Prints figures; not a
// test.
// Run: npm run build && node dist/bench/flood-memory.bench.js   (0 s skips a flood; BENCH_NODE_FLAGS, BENCH_VERBOSE=1)
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseExposition } from '../src/cloudflared/metrics/index.js';
import { encodeTunnelToken } from '../src/cloudflared/token.js';
import { reserveDeadPort } from '../src/emulator/origins.js';
import { BIN, launchEnv, launchNodeFlags } from './launcher.js';
import { freePort, waitFor } from './obs-servers.js';
import { realConnectorBinaries } from './real-connector.js';
import { peakRssBytes, rssBytes, sleep, terminate } from './support.js';

const TIGHT_LOOP_S = Number(process.env.BENCH_TIGHT_LOOP_S ?? 600);
const BIG_LINES_S = Number(process.env.BENCH_BIG_LINES_S ?? 60);
/** Node flags added to the launcher's, to compare V8 settings (e.g. BENCH_NODE_FLAGS='--max-old-space-size=64'). */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
/** The issue's aim, and the bound README documents from what this bench and CI measured. */
const AIM_MIB = 128;
const BOUND_MIB = 176;
const MIB = 2 ** 20;

// The stand-in: one line of about 1 MB (1,000,000 bytes with its LF) due every millisecond since it started; it
// writes what is due and records how far it got and how long its writes blocked.
const BIG_LINE_WRITER = `#!/usr/bin/env node
import { writeFileSync, writeSync } from 'node:fs';
const statusFile = process.env.FLOOD_STATUS_FILE;
const filler = 'x'.repeat(1_000_000);
const line = (i) => {
  const head = '{"level":"error","message":"Request failed","time":"' + new Date().toISOString() + '","error":"line ' + i + ': ';
  return Buffer.from(head + filler.slice(0, 1_000_000 - head.length - 3) + '"}\\n');
};
const start = performance.now();
let written = 0;
let blockedMs = 0;
const report = () => writeFileSync(statusFile, JSON.stringify({ written, wanted: Math.floor(performance.now() - start), blockedMs }));
process.on('SIGTERM', () => { report(); process.exit(0); });
for (;;) {
  if (written >= performance.now() - start) { await new Promise((r) => setTimeout(r, 1)); continue; }
  const bytes = line(written);
  const t = performance.now();
  // A full pipe: write(2) on this non-blocking pipe says EAGAIN, where Go's writer would park; wait and retry.
  for (let at = 0; at < bytes.length;) {
    try { at += writeSync(2, bytes, at); } catch (e) { if (e.code !== 'EAGAIN') throw e; await new Promise((r) => setTimeout(r, 1)); }
  }
  blockedMs += performance.now() - t;
  written++;
  if (written % 20 === 0) report();
}
`;

interface Flood {
  readonly tunnelwatch: ChildProcess;
  readonly metrics: () => Promise<Map<string, number>>;
  stdoutBytes: number;
}

/** Each series of the families tunnelwatch exports, by name and labels (`name{a="b"}`), summed where labels are left out. */
async function scrape(address: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://${address}/metrics`)).text();
  const values = new Map<string, number>();
  for (const family of parseExposition(text).families) {
    for (const s of family.samples) {
      values.set(s.name, (values.get(s.name) ?? 0) + s.value);
      for (const [k, v] of Object.entries(s.labels)) values.set(`${s.name}{${k}="${v}"}`, (values.get(`${s.name}{${k}="${v}"}`) ?? 0) + s.value);
    }
  }
  return values;
}

async function startFlood(dir: string, binary: string, env: Readonly<Record<string, string>>): Promise<Flood> {
  const address = `127.0.0.1:${String(await freePort())}`;
  const lokiDown = `http://127.0.0.1:${String(await reserveDeadPort())}`;
  const tunnelwatch = spawn(process.execPath, [...launchNodeFlags(), ...NODE_FLAGS, BIN, 'run', '--cloudflared', binary], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      ...launchEnv(),
      TUNNELWATCH_CLOUDFLARED_TOKEN: encodeTunnelToken({ accountTag: '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e', tunnelId: '3a5c7e9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d', secret: Buffer.from('flood bench secret') }),
      TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
      TUNNELWATCH_SERVER_LISTEN: address,
      TUNNELWATCH_LOGS_SPOOL_DIR: join(dir, 'spool'),
      TUNNELWATCH_LOGS_LOKI_URL: lokiDown,
      TUNNELWATCH_LOGS_REPEATS_WINDOW: '0s',
      TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
      ...env,
    },
  });
  const flood: Flood = { tunnelwatch, metrics: () => scrape(address), stdoutBytes: 0 };
  // stdout is read as fast as it comes and thrown away, as a container runtime's log driver would.
  tunnelwatch.stdout.on('data', (d: Buffer) => { flood.stdoutBytes += d.length; });
  await waitFor(() => flood.metrics().then(() => true, () => undefined), 'tunnelwatch serving /metrics', 30_000);
  return flood;
}

interface Sampled {
  readonly seconds: number;
  readonly peakMiB: number;
  readonly lastMinuteMiB: number;
  readonly last: Map<string, number>;
  readonly firstDropS: number | undefined;
}

/** Samples tunnelwatch's RSS and metrics every second for `seconds`. */
async function sample(flood: Flood, seconds: number): Promise<Sampled> {
  const pid = flood.tunnelwatch.pid ?? 0;
  const start = performance.now();
  const rss: { at: number; mib: number }[] = [];
  let last = new Map<string, number>();
  let firstDropS: number | undefined;
  while (performance.now() - start < seconds * 1000) {
    await sleep(1000);
    if (flood.tunnelwatch.exitCode !== null) throw new Error(`tunnelwatch exited (${String(flood.tunnelwatch.exitCode)}) during the flood`);
    const at = (performance.now() - start) / 1000;
    rss.push({ at, mib: rssBytes(pid) / MIB });
    last = await flood.metrics();
    if (process.env.BENCH_VERBOSE === '1') console.error(`${at.toFixed(0)} s: rss ${(rss.at(-1)?.mib ?? 0).toFixed(0)} MiB, heap ${((last.get('tunnelwatch_nodejs_heap_size_total_bytes') ?? 0) / MIB).toFixed(0)} MiB (used ${((last.get('tunnelwatch_nodejs_heap_size_used_bytes') ?? 0) / MIB).toFixed(0)}), external ${((last.get('tunnelwatch_nodejs_external_memory_bytes') ?? 0) / MIB).toFixed(0)} MiB, lines ${n(last.get('tunnelwatch_log_lines_read_total'))}, restarts ${n(last.get('tunnelwatch_connector_restarts_total'))}`);
    if (firstDropS === undefined && (last.get('tunnelwatch_log_records_dropped_total{reason="overflow"}') ?? 0) > 0) firstDropS = at;
  }
  const elapsed = (performance.now() - start) / 1000;
  const lastMinute = rss.filter((s) => s.at >= elapsed - 60).map((s) => s.mib);
  return { seconds: elapsed, peakMiB: peakRssBytes(pid) / MIB, lastMinuteMiB: Math.max(...lastMinute), last, firstDropS };
}

const n = (v: number | undefined): string => Math.round(v ?? Number.NaN).toLocaleString('en-US');
const verdict = (mib: number): string => `(aim ${String(AIM_MIB)} MiB: ${mib <= AIM_MIB ? 'met' : 'not met'}; documented bound ${String(BOUND_MIB)} MiB: ${mib <= BOUND_MIB ? 'within' : 'OVER'})`;
const dropsByLevel = (m: Map<string, number>): string =>
  ['debug', 'info', 'warn', 'error'].map((level) => `${level} ${n(m.get(`tunnelwatch_log_records_dropped_total{level="${level}"}`))}`).join(', ');

async function tightLoop(cloudflared: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-bench-flood-'));
  const flood = await startFlood(dir, cloudflared, {
    TUNNELWATCH_CLOUDFLARED_PROTOCOL: 'http2',
    TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: `--edge,127.0.0.1:${String(await reserveDeadPort())}`,
  });
  try {
    const s = await sample(flood, TIGHT_LOOP_S);
    const lines = s.last.get('tunnelwatch_log_lines_read_total') ?? 0;
    console.log(`real cloudflared's tight loop, ${s.seconds.toFixed(0)} s: ${n(lines)} lines read (${n(lines / s.seconds)}/s), ${n(s.last.get('tunnelwatch_log_records_total'))} records, stdout ${n(flood.stdoutBytes / MIB)} MiB`);
    console.log(`  Loki spool full and dropping from ${s.firstDropS === undefined ? 'never' : `${s.firstDropS.toFixed(0)} s`}: ${n(s.last.get('tunnelwatch_log_records_dropped_total{reason="overflow"}'))} dropped (${dropsByLevel(s.last)}), ${n((s.last.get('tunnelwatch_log_spool_bytes') ?? 0) / MIB)} MiB spooled`);
    console.log(`  RSS peak ${s.peakMiB.toFixed(0)} MiB, last minute ${s.lastMinuteMiB.toFixed(0)} MiB ${verdict(s.peakMiB)}`);
  } finally {
    await terminate(flood.tunnelwatch);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bigLines(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-bench-flood-'));
  const writer = join(dir, 'big-line-connector.mjs');
  writeFileSync(writer, BIG_LINE_WRITER);
  chmodSync(writer, 0o755);
  const statusFile = join(dir, 'writer.json');
  const flood = await startFlood(dir, writer, { FLOOD_STATUS_FILE: statusFile });
  try {
    const s = await sample(flood, BIG_LINES_S);
    const w = JSON.parse(readFileSync(statusFile, 'utf8')) as { written: number; wanted: number; blockedMs: number };
    const lines = s.last.get('tunnelwatch_log_lines_read_total') ?? 0;
    console.log(`1 MB lines, one wanted every millisecond, ${s.seconds.toFixed(0)} s: the writer wrote ${n(w.written)} of the ${n(w.wanted)} it wanted (${n(w.written / s.seconds)} MB/s) and spent ${((100 * w.blockedMs) / (s.seconds * 1000)).toFixed(0)} % of the time blocked on its pipe`);
    console.log(`  tunnelwatch read ${n(lines)} lines (${n(s.last.get('tunnelwatch_log_lines_truncated_total'))} cut at maxLineBytes), ${n(s.last.get('tunnelwatch_log_records_dropped_total{reason="overflow"}'))} dropped from the Loki spool, stdout ${n(flood.stdoutBytes / MIB)} MiB`);
    console.log(`  RSS peak ${s.peakMiB.toFixed(0)} MiB, last minute ${s.lastMinuteMiB.toFixed(0)} MiB ${verdict(s.peakMiB)}`);
  } finally {
    await terminate(flood.tunnelwatch);
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`# memory under lasting floods: tunnelwatch run, Loki down, repeats not collapsed, spool ${n(256)} MiB (the default)`);
if (BIG_LINES_S > 0) await bigLines();
if (TIGHT_LOOP_S > 0) await tightLoop(realConnectorBinaries().cloudflared);
