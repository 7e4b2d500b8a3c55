// Soak: `tunnelwatch demo` (the sidecar with the emulated world in the same process, one more replica, three
// origins, five visitors a second through tunnelwatch's connector) left running, its memory sampled every few
// seconds: resident set (VmRSS), V8 heap used and external memory (tunnelwatch's own /metrics), and the live heap
// after every full collection (--trace-gc). Start-up takes RSS up by 30-50 MB for about a minute (the checks, the
// SDK, JIT), then back as the first full collections run: read over the first minutes, that looks like growth. The
// verdict is therefore on the second half (and never the first two minutes): the spread of the heap after full
// collections and how far RSS's peaks rose there, against stated bands. The slopes are printed too; over a few minutes they still
// include V8 optimising more code (heap snapshots 2.5 and 9.5 minutes in differ by 0.5 MB, all of it compiled code,
// none of it tunnelwatch's objects). Compressed: cloudflared's waits run SPEEDUP times faster and every poll interval of the demo is
// as short as its setting allows (printed). Prints figures; not a test.
// Run: npm run build && node dist/bench/soak.bench.js   (BENCH_SOAK_S, BENCH_SOAK_SPEEDUP; a real hour:
// BENCH_SOAK_S=3600 BENCH_SOAK_SPEEDUP=1)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { BIN, launchEnv, launchNodeFlags } from './launcher.js';
import { closeHttp, httpRequest, rssBytes, ROOT, sleep, terminate } from './support.js';

const SOAK_S = Number(process.env.BENCH_SOAK_S ?? 600);
const SPEEDUP = Number(process.env.BENCH_SOAK_SPEEDUP ?? 12);
const SAMPLE_S = 5;
const VISITS_PER_S = 5;
/**
 * Flat means: over the second half, the heap after full collections stays within this band, and the peak of RSS in
 * its last quarter is no more than its own band above the peak of its first quarter. RSS falling as pages go back to
 * the OS and refilling to where it was is not growth (seen in CI: 170 MB, a dip to 143 MB, back to 170 MB).
 */
const HEAP_BAND_MB = 2;
const RSS_BAND_MB = 10;

interface Sample {
  readonly at: number;
  readonly rss: number;
  readonly heap: number;
  readonly external: number;
  readonly records: number;
}

/** The demo's intervals (src/cli/commands/demo.ts) and the fastest each setting accepts, in seconds. */
const INTERVALS = [
  { key: 'cloudflared.pollInterval', demo: 1, min: 0.1 },
  { key: 'origins.interval', demo: 2, min: 1 },
  { key: 'edge.pollInterval', demo: 3, min: 1 },
] as const;
const speedupOf = (i: (typeof INTERVALS)[number]): number => i.demo / Math.max(i.min, i.demo / SPEEDUP);
const fasterSettings = (): string[] => INTERVALS.flatMap((i) => ['--set', `${i.key}=${String(Math.round((i.demo / speedupOf(i)) * 1000))}ms`]);

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

// --trace-gc prints the live heap after every full collection: the floor a leak raises, free of GC timing.
const child = spawn(process.execPath, [...launchNodeFlags(), '--trace-gc', BIN, 'demo', '--listen', '127.0.0.1:0', '--time-scale', String(1 / SPEEDUP), ...fasterSettings()], {
  cwd: ROOT,
  env: { ...process.env, ...launchEnv() },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let address: string | undefined;
let portsFile: string | undefined;
let host: string | undefined;
let stderr = '';
/** Heap (MB) after each mark-compact, with the seconds since sampling began. */
const afterFullGc: [number, number][] = [];
let sampling: number | undefined;
createInterface({ input: child.stdout }).on('line', (line) => {
  const gc = /Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(/.exec(line);
  if (gc !== null && sampling !== undefined) afterFullGc.push([(performance.now() - sampling) / 1000, Number(gc[1])]);
  address ??= /^status page\s+http:\/\/(\S+)\//.exec(line)?.[1];
  portsFile ??= /^connectors\s+tunnelwatch's own \(ports in (\S+)\)/.exec(line)?.[1];
  host ??= /^origins\s+(\S+) -> http:/.exec(line)?.[1];
});
child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });

/** One visitor request through the connector's edge listener (node:http: fetch() cannot set Host). */
function visit(edge: string, hostname: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`http://${edge}/`, { headers: { host: hostname }, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

const samples: Sample[] = [];
let visitors: NodeJS.Timeout | undefined;
try {
  const deadline = Date.now() + 60_000;
  while (address === undefined || portsFile === undefined || host === undefined) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tunnelwatch demo did not start:\n${stderr}`);
    await sleep(100);
  }
  let edge: string | undefined;
  while (edge === undefined) {
    if (Date.now() > deadline) throw new Error(`the connector's ports file ${portsFile} never appeared`);
    try {
      edge = (JSON.parse(readFileSync(portsFile, 'utf8')) as { edge: string }).edge;
    } catch {
      await sleep(100); // written once the connector listens; absent or partial until then
    }
  }
  const through = edge;
  visitors = setInterval(() => {
    void visit(through, host ?? '').catch(() => undefined);
  }, 1000 / VISITS_PER_S);
  const started = performance.now();
  sampling = started;
  for (let t = 0; t <= SOAK_S; t += SAMPLE_S) {
    await sleep(started + t * 1000 - performance.now());
    const text = (await httpRequest('GET', `http://${address}/metrics`)).body;
    samples.push({
      at: t,
      rss: rssBytes(child.pid ?? 0),
      heap: metricValue(text, 'tunnelwatch_nodejs_heap_size_used_bytes'),
      external: metricValue(text, 'tunnelwatch_nodejs_external_memory_bytes'),
      records: metricValue(text, 'tunnelwatch_log_records_total{source="cloudflared"}') + metricValue(text, 'tunnelwatch_log_records_total{source="tunnelwatch"}'),
    });
  }
} finally {
  clearInterval(visitors);
  await terminate(child, 15_000);
  closeHttp();
}

const hours = (seconds: number): number => seconds / 3600;
const faster = INTERVALS.map((i) => `${i.key} ${String(Math.round((i.demo / speedupOf(i)) * 1000))} ms (${speedupOf(i).toFixed(0)}x)`).join(', ');
console.log(`tunnelwatch demo for ${String(SOAK_S)} s, sampled every ${String(SAMPLE_S)} s; cloudflared's waits ${String(SPEEDUP)}x faster, ${faster}, ${String(VISITS_PER_S)} visitors a second`);
const slices = 10;
const per = Math.max(1, Math.floor(samples.length / slices));
console.log(`${'minute'.padStart(8)}${'RSS MB'.padStart(9)}${'heap after full GC MB'.padStart(23)}${'heap max MB'.padStart(13)}${'external MB'.padStart(13)}${'records'.padStart(10)}`);
for (let i = 0; i < samples.length; i += per) {
  const slice = samples.slice(i, i + per);
  const first = slice[0];
  const last = slice.at(-1);
  if (first === undefined || last === undefined) continue;
  const gcs = afterFullGc.filter(([at]) => at > first.at - SAMPLE_S && at <= last.at).map(([, heap]) => heap);
  const gcCell = gcs.length === 0 ? '-' : `${Math.min(...gcs).toFixed(1)}-${Math.max(...gcs).toFixed(1)} (${String(gcs.length)})`;
  const cells = [(last.at / 60).toFixed(1).padStart(8), mb(last.rss).padStart(9), gcCell.padStart(23), mb(Math.max(...slice.map((s) => s.heap))).padStart(13), mb(last.external).padStart(13), String(last.records).padStart(10)];
  console.log(cells.join(''));
}
// The start-up swing (about a minute, see above) is over before the second half of a default run.
const from = Math.max(SOAK_S / 2, 120);
const heapSlope = slope(afterFullGc.filter(([at]) => at >= from).map(([at, heap]) => [hours(at), heap]));
const rssSlope = slope(samples.filter((s) => s.at >= from).map((s) => [hours(s.at), s.rss / 1024 / 1024]));
const late = afterFullGc.filter(([at]) => at >= from).map(([, heap]) => heap);
const lateRss = samples.filter((s) => s.at >= from).map((s) => s.rss / 1024 / 1024);
const spread = (xs: readonly number[]): number => Math.max(...xs) - Math.min(...xs);
/** How far the peak of the last quarter of `xs` is above the peak of its first quarter: growth, not dips. */
const rise = (xs: readonly number[]): number => {
  const quarter = Math.max(1, Math.floor(xs.length / 4));
  return Math.max(0, Math.max(...xs.slice(-quarter)) - Math.max(...xs.slice(0, quarter)));
};
const flat = late.length >= 2 && spread(late) <= HEAP_BAND_MB && rise(lateRss) <= RSS_BAND_MB;
console.log(
  `second half: heap after full GC ${Math.min(...late).toFixed(1)}-${Math.max(...late).toFixed(1)} MB over ${String(late.length)} full collections (band ${String(HEAP_BAND_MB)} MB), RSS ${Math.min(...lateRss).toFixed(1)}-${Math.max(...lateRss).toFixed(1)} MB, peaks rose ${rise(lateRss).toFixed(1)} MB (band ${String(RSS_BAND_MB)} MB): ${late.length < 2 ? 'TOO FEW COLLECTIONS TO TELL' : flat ? 'flat' : `NOT FLAT (${heapSlope > 0 || rssSlope > 0 ? 'growing' : 'shrinking'})`}; slopes ${heapSlope.toFixed(1)} and ${rssSlope.toFixed(1)} MB per hour`,
);
