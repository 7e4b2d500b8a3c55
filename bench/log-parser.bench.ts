// Throughput of parseLogLine against a bare JSON.parse loop, on a realistic cloudflared log corpus.
// Prints figures; not a test. Run: npm run build && node dist/bench/log-parser.bench.js
import { parseLogLine } from '../src/cloudflared/log/line.js';

type Value = string | number | boolean;

interface Template {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly error?: string;
  readonly fields: Readonly<Record<string, Value>>;
  /** Relative frequency in the corpus. */
  readonly weight: number;
}

const CONFIG = JSON.stringify({
  ingress: [
    { hostname: 'app.example.com', service: 'http://localhost:8080', originRequest: {} },
    { service: 'http_status:404' },
  ],
  'warp-routing': { enabled: false },
});

const ORIGIN_ERROR =
  'Unable to reach the origin service. The service may be down or it may not be responding to traffic from cloudflared: dial tcp 127.0.0.1:8080: connect: connection refused';

// Shapes and proportions of a day with a flaky origin and the odd connection blip.
const TEMPLATES: readonly Template[] = [
  { level: 'info', message: 'Starting tunnel', fields: { tunnelID: 'c0ffee00-1234-4abc-9def-0123456789ab' }, weight: 1 },
  { level: 'info', message: 'Version 2026.8.2 (Checksum 4f0c1e3a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e)', fields: {}, weight: 1 },
  { level: 'info', message: 'Generated Connector ID: 8d2c3b4a-5e6f-4a1b-9c8d-7e6f5a4b3c2d', fields: {}, weight: 1 },
  { level: 'info', message: 'Initial protocol quic', fields: {}, weight: 1 },
  { level: 'info', message: 'Starting metrics server on 127.0.0.1:20241/metrics', fields: {}, weight: 1 },
  {
    level: 'info',
    message: 'Registered tunnel connection',
    fields: { connIndex: 0, connection: '5c94b68c-1f2e-4c6d-9a4b-2b3c4d5e6f70', event: 0, ip: '198.41.192.67', location: 'lax01', protocol: 'quic' },
    weight: 8,
  },
  { level: 'info', message: 'Unregistered tunnel connection', fields: { connIndex: 2, event: 0, ip: '198.41.200.13' }, weight: 3 },
  { level: 'error', message: 'failed to accept incoming stream requests', error: 'failed to accept QUIC stream: timeout: no recent network activity', fields: { connIndex: 2, event: 0, ip: '198.41.200.13' }, weight: 3 },
  { level: 'warn', message: 'Serve tunnel error', error: 'timeout: no recent network activity', fields: { connIndex: 2, event: 0, ip: '198.41.200.13' }, weight: 3 },
  { level: 'info', message: 'Retrying connection in up to 2s', fields: { connIndex: 2, event: 0, ip: '198.41.200.13' }, weight: 3 },
  { level: 'warn', message: 'Connection terminated', error: 'timeout: no recent network activity', fields: { connIndex: 2 }, weight: 3 },
  { level: 'error', message: '', error: ORIGIN_ERROR, fields: { cfRay: '8f1e2a3b4c5d6e7f-LAX', connIndex: 1, event: 1, ingressRule: 0, originService: 'http://localhost:8080' }, weight: 30 },
  { level: 'error', message: 'Request failed', error: ORIGIN_ERROR, fields: { connIndex: 1, dest: 'https://app.example.com/api/v1/items?page=2', event: 0, ip: '198.41.192.7', type: 'http' }, weight: 30 },
  { level: 'info', message: 'Updated to new configuration', fields: { config: CONFIG, version: 7 }, weight: 1 },
  { level: 'info', message: 'Tunnel connection curve preferences: [X25519MLKEM768 CurveID(65074) CurveP256]', fields: { connIndex: 0, event: 0, ip: '198.41.192.67' }, weight: 4 },
  { level: 'debug', message: 'GET https://app.example.com/healthz HTTP/1.1', fields: { connIndex: 3, 'content-length': 0, event: 1, host: 'app.example.com', path: '/healthz' }, weight: 10 },
];

/** Deterministic corpus: the same lines on every run. */
function pick(seed: number): Template {
  const total = TEMPLATES.reduce((sum, t) => sum + t.weight, 0);
  let r = seed % total;
  for (const template of TEMPLATES) {
    if (r < template.weight) return template;
    r -= template.weight;
  }
  return TEMPLATES[0] as Template;
}

function timeAt(i: number): string {
  return new Date(Date.UTC(2026, 7, 20, 10) + i * 250).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** As `--output json` writes it: keys sorted, message omitted when empty. */
function jsonLine(t: Template, time: string): string {
  const object: Record<string, Value> = { ...t.fields, level: t.level, time };
  if (t.message !== '') object.message = t.message;
  if (t.error !== undefined) object.error = t.error;
  const sorted: Record<string, Value> = {};
  for (const key of Object.keys(object).sort()) sorted[key] = object[key] as Value;
  return JSON.stringify(sorted).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

const LVL = { debug: 'DBG', info: 'INF', warn: 'WRN', error: 'ERR' } as const;

// JSON string syntax equals Go's strconv.Quote for the printable ASCII used here.
function consoleValue(value: Value): string {
  return typeof value === 'string' && /[\s"\\]|[^\x20-\x7e]/.test(value) ? JSON.stringify(value) : String(value);
}

/** As zerolog's console writer prints it: fields sorted, error first. */
function consoleLine(t: Template, time: string): string {
  const parts = t.error === undefined ? [] : [`error=${consoleValue(t.error)}`];
  for (const key of Object.keys(t.fields).sort()) parts.push(`${key}=${consoleValue(t.fields[key] as Value)}`);
  return `${time} ${LVL[t.level]} ${t.message}${parts.length > 0 ? ' ' : ''}${parts.join(' ')}`;
}

const LINES = 200_000;
let seed = 1;
const jsonLines: string[] = [];
const consoleLines: string[] = [];
for (let i = 0; i < LINES; i++) {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  const template = pick(seed >>> 8);
  jsonLines.push(jsonLine(template, timeAt(i)));
  consoleLines.push(consoleLine(template, timeAt(i)));
}

type Run = (line: string) => number;

const CHUNK = 10_000;

/**
 * Seconds per pass of each runner over its lines. The corpus is cut into chunks and the runners take
 * turns chunk by chunk, so a noisy neighbour slows them alike; each chunk keeps its best time over the
 * rounds, after warm-up passes.
 */
function measure(cases: readonly (readonly [readonly string[], Run])[], rounds = 9): { seconds: number[]; sink: number } {
  let sink = 0;
  const time = (lines: readonly string[], from: number, run: Run): number => {
    const start = process.hrtime.bigint();
    for (let i = from; i < from + CHUNK && i < lines.length; i++) sink += run(lines[i] ?? '');
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  const chunks = Math.ceil(LINES / CHUNK);
  const best = cases.map(() => new Array<number>(chunks).fill(Infinity));
  for (let round = -2; round < rounds; round++) {
    for (let c = 0; c < chunks; c++) {
      cases.forEach(([lines, run], i) => {
        const seconds = time(lines, c * CHUNK, run);
        const row = best[i];
        if (round >= 0 && row) row[c] = Math.min(row[c] ?? Infinity, seconds);
      });
    }
  }
  return { seconds: best.map((row) => row.reduce((sum, s) => sum + s, 0)), sink };
}

const bytes = (lines: readonly string[]): number => lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

// JSON first and on its own: a sidecar reading `--output json` never sees console lines, so the console
// pass must not shape the JIT's view of the JSON path before it is timed.
const json = measure([
  [jsonLines, (line) => (JSON.parse(line) === null ? 0 : 1)],
  [jsonLines, (line) => parseLogLine(line).message.length],
]);
const consoleRun = measure([[consoleLines, (line) => parseLogLine(line).message.length]]);
const [bare, parsedJson] = json.seconds.map((s) => LINES / s) as [number, number];
const parsedConsole = LINES / (consoleRun.seconds[0] ?? Infinity);
const sink = json.sink + consoleRun.sink;
const jsonMb = bytes(jsonLines) / 1e6;
const consoleMb = bytes(consoleLines) / 1e6;
const ratio = parsedJson / bare;

console.log(`corpus: ${fmt(LINES)} JSON lines (${jsonMb.toFixed(1)} MB), ${fmt(LINES)} console lines (${consoleMb.toFixed(1)} MB)`);
console.log(`JSON.parse only        ${fmt(bare).padStart(12)} lines/s`);
console.log(`parseLogLine (json)    ${fmt(parsedJson).padStart(12)} lines/s  ${((parsedJson * jsonMb) / LINES).toFixed(1)} MB/s`);
console.log(`ratio parse/JSON.parse ${ratio.toFixed(2).padStart(12)}  (target >= 0.50) ${ratio >= 0.5 ? 'ok' : 'BELOW TARGET'}`);
console.log(`parseLogLine (console) ${fmt(parsedConsole).padStart(12)} lines/s  ${((parsedConsole * consoleMb) / LINES).toFixed(1)} MB/s`);
console.log(`rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB  (checksum ${String(sink)})`);
