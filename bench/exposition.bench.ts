// Throughput of parseExposition on a large generated exposition (about 5 MB), printed as samples/s and MB/s.
// Run: npm run build && node dist/bench/exposition.bench.js
import { parseExposition } from '../src/cloudflared/metrics/exposition.js';

function generate(targetBytes: number): string {
  const lines: string[] = [];
  let bytes = 0;
  const push = (...more: string[]): void => {
    for (const line of more) bytes += line.length + 1;
    lines.push(...more);
  };
  for (let f = 0; bytes < targetBytes; f++) {
    const histogram = f % 5 === 0;
    const name = `bench_family_${String(f)}_${histogram ? 'seconds' : 'total'}`;
    push(`# HELP ${name} Generated family number ${String(f)}, with an escaped \\\\ backslash.`);
    push(`# TYPE ${name} ${histogram ? 'histogram' : 'counter'}`);
    for (let s = 0; s < 20; s++) {
      const labels = `conn_index="${String(s % 4)}",edge_location="lax0${String(s % 9)}",series="${String(s)}"`;
      if (histogram) {
        for (const le of ['0.005', '0.05', '0.5', '5', '+Inf']) push(`${name}_bucket{${labels},le="${le}"} ${String(s * 7)}`);
        push(`${name}_sum{${labels}} ${String(s * 1.25e-3)}`, `${name}_count{${labels}} ${String(s * 7)}`);
      } else {
        push(`${name}{${labels}} ${String(f * 1e6 + s)} 1787735645000`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

const text = generate(5 * 1024 * 1024);
const megabytes = Buffer.byteLength(text) / (1024 * 1024);
parseExposition(text);

const runs = 5;
let samples = 0;
const start = process.hrtime.bigint();
for (let i = 0; i < runs; i++) {
  const { families, errors } = parseExposition(text);
  if (errors.length > 0) throw new Error(`generated exposition has errors: ${errors[0]?.message ?? ''}`);
  samples = families.reduce((n, f) => n + f.samples.length, 0);
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9 / runs;
const rss = process.memoryUsage().rss / (1024 * 1024);

console.log(
  `exposition: ${megabytes.toFixed(1)} MB, ${String(samples)} samples, ${(seconds * 1000).toFixed(0)} ms per parse, ` +
    `${Math.round(samples / seconds).toLocaleString('en-US')} samples/s, ${(megabytes / seconds).toFixed(1)} MB/s, rss ${rss.toFixed(0)} MB`,
);
