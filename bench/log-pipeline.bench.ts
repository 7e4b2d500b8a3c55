// Throughput of the log pipeline from a real child process: lines a child writes on stderr, read by the
// supervisor's Child, parsed, turned into records, redacted and made durable in the Loki spool; then the same
// with the shipper pushing to a local Loki receiver (node:http in this process, counting lines); beside a bare
// JSON.parse loop over the same lines, and the RSS peak of each stage. As in the sidecar, a backlog beyond the
// pipeline's bound pauses the reading of the child's pipe (the writer then waits on it), so the stages measure the
// path a flood takes rather than a corpus queued whole in memory. Prints figures; not a test.
// Run: npm run build && node dist/bench/log-pipeline.bench.js   (BENCH_LINES=N to change the corpus size,
// BENCH_FORMAT=otel|ecs for the records in another logs.format; default pino)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VERSION } from '../src/base/version.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import { Child } from '../src/supervisor/child.js';
import { LogPipeline } from '../src/telemetry/logs/log-pipeline.js';
import { connectorRecord, learnLabels, type RecordLabels } from '../src/telemetry/logs/log-record.js';
import { type LogFormat, recordSerialiser } from '../src/telemetry/logs/record-format.js';
import { openLokiSink } from '../src/telemetry/sinks/loki-sink.js';
import { Redactor } from '../src/telemetry/logs/redact.js';

const LINES = Number(process.env.BENCH_LINES ?? 100_000);
const FORMAT = ((): LogFormat => {
  const formats: readonly LogFormat[] = ['pino', 'otel', 'ecs'];
  const format = formats.find((f) => f === (process.env.BENCH_FORMAT ?? 'pino'));
  if (format === undefined) throw new Error(`BENCH_FORMAT must be one of ${formats.join(', ')}`);
  return format;
})();
const SECRETS = ['apiTok3nQv8ZpLm2XwR7tN4bY', 'lokiPw9Hc4Jd7Ks2Ln5Mq8'];

const ORIGIN_ERROR =
  'Unable to reach the origin service. The service may be down or it may not be responding to traffic from cloudflared: dial tcp 127.0.0.1:8080: connect: connection refused';

// Shapes and proportions of a busy connector with a flaky origin (cloudflared `--output json`, keys sorted).
const TEMPLATES: readonly [weight: number, make: (i: number) => Record<string, unknown>][] = [
  [30, (i) => ({ cfRay: `${(0x8f1e2a3b4c5d0000 + i).toString(16)}-LAX`, connIndex: i % 4, error: ORIGIN_ERROR, event: 1, ingressRule: 0, level: 'error', originService: 'http://localhost:8080' })],
  [30, (i) => ({ connIndex: i % 4, dest: `https://app.example.com/api/v1/items?page=${String(i % 50)}`, error: ORIGIN_ERROR, event: 0, ip: '198.41.192.7', level: 'error', message: 'Request failed', type: 'http' })],
  [10, (i) => ({ connIndex: i % 4, 'content-length': 0, event: 1, host: 'app.example.com', level: 'debug', message: 'GET https://app.example.com/healthz HTTP/1.1', path: '/healthz' })],
  [8, (i) => ({ connIndex: i % 4, connection: '5c94b68c-1f2e-4c6d-9a4b-2b3c4d5e6f70', event: 0, ip: '198.41.192.67', level: 'info', location: 'lax01', message: 'Registered tunnel connection', protocol: 'quic' })],
  [3, (i) => ({ connIndex: i % 4, error: 'timeout: no recent network activity', event: 0, ip: '198.41.200.13', level: 'warn', message: 'Serve tunnel error' })],
  [3, (i) => ({ connIndex: i % 4, event: 0, ip: '198.41.200.13', level: 'info', message: 'Retrying connection in up to 2s' })],
  [1, () => ({ level: 'info', message: 'Updated to new configuration', config: '{"ingress":[{"hostname":"app.example.com","service":"http://localhost:8080"},{"service":"http_status:404"}]}', version: 7 })],
  [1, () => ({ level: 'info', message: 'GET /admin?api_key=abcd1234efgh with Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln' })],
];

function corpus(n: number): string[] {
  const total = TEMPLATES.reduce((sum, [w]) => sum + w, 0);
  const lines: string[] = [];
  let seed = 1;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    let r = (seed >>> 8) % total;
    const template = TEMPLATES.find(([w]) => (r -= w) < 0) ?? TEMPLATES[0];
    const fields = { ...template?.[1](i), time: new Date(Date.UTC(2026, 7, 20, 10) + i * 5).toISOString().replace(/\.\d{3}Z$/, 'Z') };
    const sorted = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : 1)));
    lines.push(JSON.stringify(sorted));
  }
  return lines;
}

// The child writes like cloudflared: one write per line on stderr, waiting when the pipe is full.
const WRITER = `
const lines = require('fs').readFileSync(process.argv[1], 'utf8').split('\\n').filter(Boolean);
let i = 0;
(function pump() {
  while (i < lines.length) if (!process.stderr.write(lines[i++] + '\\n')) return process.stderr.once('drain', pump);
})();`;

/** RSS peak: sampled every 20 ms while the event loop turns, and on demand around synchronous work. */
class RssPeak {
  peak = 0;
  readonly #timer = setInterval(() => { this.sample(); }, 20);
  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }
  stop(): number {
    clearInterval(this.#timer);
    this.sample();
    return this.peak;
  }
}

/** A Loki push receiver that only counts lines. */
async function receiver(): Promise<{ server: Server; url: string; count: () => number }> {
  let lines = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { streams: { values: unknown[] }[] };
      for (const s of body.streams) lines += s.values.length;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return { server, url: `http://127.0.0.1:${String(typeof addr === 'object' && addr !== null ? addr.port : 0)}`, count: () => lines };
}

interface Stage {
  name: string;
  /** From the first line read to the last one durable (or shipped). */
  seconds: number;
  /** CPU time of this process (every thread) over the same span. */
  cpuSeconds: number;
  lines: number;
  rss: number;
}

/** Child stderr → Child → parseLogLine → connectorRecord → LogPipeline → Loki spool (and the shipper when `url` is given). */
async function childToSpool(name: string, file: string, lokiUrl: string, shipped?: () => number): Promise<Stage> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-bench-spool-'));
  const rss = new RssPeak();
  const sink = await openLokiSink({ url: lokiUrl, labels: {}, batchMaxRecords: 1000, batchMaxBytes: 1 << 20 }, { dir, maxBytes: 8 * 1024 ** 3 });
  // As in the sidecar: a backlog beyond the pipeline's bound pauses the reading of the child's pipe.
  const reader: { child?: Child } = {};
  const pipeline = new LogPipeline({
    redactor: new Redactor(SECRETS),
    serialise: recordSerialiser(FORMAT, VERSION),
    sinks: [sink],
    onPressure: (saturated) => { reader.child?.pauseOutput(saturated); },
  });
  const labels: RecordLabels = { tunnel_id: '6ff42ae2-765d-4adf-8112-31c55c1551ef', replica: 'bench' };
  let read = 0;
  // The clock starts at the first line: the writer's start-up (a Node process loading the corpus, a few hundred ms)
  // is not the pipeline's.
  let started = 0;
  let cpuAtStart = process.cpuUsage();
  if (shipped !== undefined) sink.start();
  const child = new Child(
    { file: process.execPath, args: ['-e', WRITER, file], env: {} },
    {
      maxLineBytes: 1 << 20,
      onLine: ({ stream, line, truncated }) => {
        if (read++ === 0) {
          started = performance.now();
          cpuAtStart = process.cpuUsage();
        }
        const event = parseLogLine(line);
        learnLabels(labels, event);
        if (event.format !== 'empty') pipeline.write(connectorRecord(event, line, { stream, time: Date.now(), truncated }, labels));
      },
    },
  );
  reader.child = child;
  const exit = await child.exited;
  if (exit.code !== 0) throw new Error(`the writer child failed: ${JSON.stringify(exit)}`);
  await pipeline.close();
  if (shipped !== undefined) {
    while (shipped() < read) await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  await sink.stop(1000);
  rmSync(dir, { recursive: true, force: true });
  return { name, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, lines: read, rss: rss.stop() };
}

function bareJsonParse(lines: readonly string[]): Stage {
  const rss = new RssPeak();
  let sink = 0;
  const started = performance.now();
  for (const line of lines) sink += JSON.parse(line) === null ? 0 : 1;
  const seconds = (performance.now() - started) / 1000;
  if (sink !== lines.length) throw new Error('JSON.parse loop lost lines');
  return { name: 'JSON.parse loop (in process)', seconds, cpuSeconds: seconds, lines: lines.length, rss: rss.stop() };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const lines = corpus(LINES);
const dir = mkdtempSync(join(tmpdir(), 'tw-bench-corpus-'));
const file = join(dir, 'cloudflared.jsonl');
writeFileSync(file, `${lines.join('\n')}\n`);
const mb = lines.reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0) / 1e6;

const baselineRss = process.memoryUsage().rss;
const stages: Stage[] = [bareJsonParse(lines)];
// Nothing listens on this URL: the shipper is never started in the spool-only stage.
stages.push(await childToSpool('child → pipeline → spool', file, 'http://127.0.0.1:9'));
const loki = await receiver();
stages.push(await childToSpool('child → pipeline → spool → Loki', file, loki.url, loki.count));
loki.server.close();
rmSync(dir, { recursive: true, force: true });

console.log(`corpus: ${fmt(LINES)} cloudflared JSON lines (${mb.toFixed(1)} MB), written by a child on stderr one line per write; logs.format ${FORMAT}`);
// RSS rarely shrinks, so each stage's peak is the process's peak up to the end of that stage.
console.log(`RSS with the corpus in memory: ${(baselineRss / 1e6).toFixed(0)} MB`);
// lines/s counts from the first line read to the last one durable; "per CPU s" divides the lines by the CPU time
// this process spent meanwhile on all its threads (the writer child not included): the rate one core would give.
console.log(`${'stage'.padEnd(36)}${'lines/s'.padStart(12)}${'per CPU s'.padStart(11)}${'MB/s'.padStart(8)}${'seconds'.padStart(9)}${'peak RSS MB'.padStart(13)}`);
for (const s of stages) {
  const rate = s.lines / s.seconds;
  console.log(`${s.name.padEnd(36)}${fmt(rate).padStart(12)}${fmt(s.lines / s.cpuSeconds).padStart(11)}${((rate * mb) / LINES).toFixed(1).padStart(8)}${s.seconds.toFixed(2).padStart(9)}${(s.rss / 1e6).toFixed(0).padStart(13)}`);
}
console.log('target: child → pipeline → spool at least 60,000 lines/s on one core (issue 14)');
