// Probe cost for 1,000 local HTTP origins: CPU per probe of tunnelwatch's http prober (in this process,
// process.cpuUsage) beside the Debian prometheus-blackbox-exporter probing the same origins through
// /probe?module=http_2xx (its CPU from /proc/<pid>/stat), both with the same concurrency; then the time to
// render /metrics of the sidecar's registry holding those 1,000 origins and their probe results.
// The origins live in a child process, so neither prober's CPU includes serving them.
// Prints figures; not a test. Run: npm run build && node dist/bench/probe-cost.bench.js
// (BENCH_ORIGINS=N, BENCH_CONCURRENCY=N, BENCH_RENDERS=N)
import { incidentMetrics } from '../src/incidents/index.js';
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertMetrics } from '../src/alerts/metrics.js';
import { effectiveRules } from '../src/alerts/overrides.js';
import { readConnectorMetrics, type ConnectorMetrics } from '../src/cloudflared/metrics/connector-metrics.js';
import { parseExposition } from '../src/cloudflared/metrics/exposition.js';
import type { CollectorStats } from '../src/collectors/runner.js';
import { runBounded } from '../src/probers/pool.js';
import { proberFor, runProbe, type ProbeResult, type ProbeTarget } from '../src/probers/index.js';
import { deriveTargets } from '../src/probers/targets.js';
import { sidecarRegistry } from '../src/sidecar/registry.js';
import type { HealthSnapshot, OriginView } from '../src/state/snapshot.js';
import { PipelineMetrics } from '../src/telemetry/metrics/pipeline-metrics.js';
import { clockTicks, closeHttp, cpuTicks, httpRequest, mean, percentile, rssBytes, ROOT, sleep, startOriginFarm, terminate } from './support.js';
import { RESTART_REASONS } from '../src/supervisor/restart-policy.js';

const ORIGINS = Number(process.env.BENCH_ORIGINS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const RENDERS = Number(process.env.BENCH_RENDERS ?? 200);
/** Measured passes over all origins per prober; one unmeasured pass over a tenth of them warms up first. */
const PASSES = 2;
const BLACKBOX = '/usr/bin/prometheus-blackbox-exporter';

interface ProberFigures {
  readonly name: string;
  readonly probes: number;
  readonly ok: number;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly rss?: number;
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

async function tunnelwatchProbes(targets: readonly ProbeTarget[]): Promise<{ figures: ProberFigures; results: Map<string, ProbeResult> }> {
  const results = new Map<string, ProbeResult>();
  const signal = new AbortController().signal;
  // Each probe in flight listens on the shared signal; past 10 Node warns of a leak that is not one.
  setMaxListeners(CONCURRENCY + 1, signal);
  const pass = (list: readonly ProbeTarget[]): Promise<ProbeResult[]> =>
    runBounded(list, CONCURRENCY, async (target) => {
      const result = await runProbe(target, signal, proberFor(target.service));
      results.set(target.key, result);
      return result;
    });
  await pass(targets.slice(0, Math.ceil(targets.length / 10)));
  let ok = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < PASSES; i++) ok += (await pass(targets)).filter((r) => r.ok).length;
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { figures: { name: 'tunnelwatch probeHttp (in process)', probes: PASSES * targets.length, ok, cpuMs: (used.user + used.system) / 1000, wallMs }, results };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0); });
    });
  });
}

async function blackboxProbes(ports: readonly number[]): Promise<ProberFigures | string> {
  if (!existsSync(BLACKBOX)) {
    return `prometheus-blackbox-exporter: not installed (${BLACKBOX} is missing); install it with \`sudo apt-get install prometheus-blackbox-exporter\` to compare`;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tw-bench-blackbox-'));
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, 'modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n');
  const listen = `127.0.0.1:${String(await freePort())}`;
  const child = spawn(BLACKBOX, [`--config.file=${config}`, `--web.listen-address=${listen}`], { stdio: 'ignore' });
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) return `prometheus-blackbox-exporter: exited with code ${String(child.exitCode)} at start-up (listen ${listen})`;
      if (await httpRequest('GET', `http://${listen}/-/healthy`).then((r) => r.status === 200, () => false)) break;
      if (Date.now() > deadline) return `prometheus-blackbox-exporter: not answering on ${listen} after 10 s`;
      await sleep(50);
    }
    const pid = child.pid ?? 0;
    const probe = async (port: number): Promise<boolean> =>
      (await httpRequest('GET', `http://${listen}/probe?module=http_2xx&target=${encodeURIComponent(`http://127.0.0.1:${String(port)}/`)}`)).body.includes('\nprobe_success 1');
    await runBounded(ports.slice(0, Math.ceil(ports.length / 10)), CONCURRENCY, probe);
    const ticks = cpuTicks(pid);
    const started = performance.now();
    let ok = 0;
    for (let i = 0; i < PASSES; i++) ok += (await runBounded(ports, CONCURRENCY, probe)).filter(Boolean).length;
    const wallMs = performance.now() - started;
    const cpuMs = ((cpuTicks(pid) - ticks) * 1000) / clockTicks();
    return { name: 'blackbox_exporter /probe http_2xx', probes: PASSES * ports.length, ok, cpuMs, wallMs, rss: rssBytes(pid) };
  } finally {
    await terminate(child, 5000);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The cloudflared metrics the re-export reads, from the test fixture when present (else the re-export is empty). */
function fixtureConnectorMetrics(): ConnectorMetrics | undefined {
  const file = join(ROOT, 'test/fixtures/metrics/healthy-2026.8.2.prom');
  return existsSync(file) ? readConnectorMetrics(parseExposition(readFileSync(file, 'utf8'))) : undefined;
}

async function renderTimes(targets: readonly ProbeTarget[], results: ReadonlyMap<string, ProbeResult>): Promise<{ ms: number[]; bytes: number; series: number }> {
  const now = Date.now();
  const origins: OriginView[] = targets.map((t) => {
    const r = results.get(t.key);
    return { key: t.key, service: t.serviceText, state: r?.ok === false ? 'down' : 'up', since: now - 60_000, lastProbeAt: now, ...(r === undefined ? {} : { lastDurationMs: r.durationMs }) };
  });
  const snapshot: HealthSnapshot = {
    at: now,
    state: 'healthy',
    since: now - 3_600_000,
    reasons: [],
    expectedConnections: 4,
    registeredConnections: 4,
    connections: [0, 1, 2, 3].map((i) => ({ connIndex: i, up: true, protocol: 'quic', location: 'lax01', since: now - 3_600_000 })),
    process: { phase: 'running', pid: 1234 },
    views: { events: 4, ready: 4, haGauge: 4 },
    origins,
    edge: { status: 'unknown', configured: false, connectors: [] },
    transitions: [],
  };
  const stats = new Map<string, CollectorStats>(
    ['connector', 'origins', 'edge'].map((name) => [name, { name, lastDurationSeconds: 0.01, lastSuccess: true, runs: 100, failures: 0 }]),
  );
  const pipeline = new PipelineMetrics({
    counters: { records: 0, bySource: { cloudflared: 0, tunnelwatch: 0 }, stdoutWritten: 0, stdoutDropped: 0, sinkErrors: {} },
    sinks: [],
    connectorUp: () => true,
    breakerOpen: () => false,
    restartReasons: RESTART_REASONS,
  });
  const registry = sidecarRegistry(
    { snapshot, connectorMetrics: fixtureConnectorMetrics(), runner: { stats }, origins: { results }, edge: undefined, edgeReach: undefined, tunnelChecks: undefined, configFindings: undefined, diagnosis: [] },
    pipeline,
    { replica: 'bench' },
    [alertMetrics({ rules: effectiveRules([]), firing: () => [], notifications: () => [] }), incidentMetrics(() => 0)],
  );
  let body = '';
  for (let i = 0; i < 20; i++) body = await registry.metrics();
  const ms: number[] = [];
  for (let i = 0; i < RENDERS; i++) {
    const started = performance.now();
    body = await registry.metrics();
    ms.push(performance.now() - started);
  }
  return { ms, bytes: Buffer.byteLength(body), series: body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length };
}

const load = [os.loadavg()[0] ?? NaN];
const benchStart = performance.now();
const farm = await startOriginFarm(ORIGINS);
const measured = await (async () => {
  try {
    const plan = deriveTargets([], farm.ports.map((port, i) => ({ name: `o${String(i + 1)}`, url: `http://127.0.0.1:${String(port)}/` })), { timeoutMs: 5000 });
    if (plan.targets.length !== ORIGINS) throw new Error(`probe-cost: expected ${String(ORIGINS)} targets, got ${String(plan.targets.length)} (${JSON.stringify(plan.skipped.slice(0, 3))})`);
    const tw = await tunnelwatchProbes(plan.targets);
    const blackbox = await blackboxProbes(farm.ports);
    return { tw: tw.figures, blackbox, render: await renderTimes(plan.targets, tw.results) };
  } finally {
    await farm.stop();
    closeHttp();
  }
})();
const { render } = measured;
const rows = typeof measured.blackbox === 'string' ? [measured.tw] : [measured.tw, measured.blackbox];
const blackboxNote = typeof measured.blackbox === 'string' ? measured.blackbox : undefined;
load.push(os.loadavg()[0] ?? NaN);

console.log(`origins: ${String(ORIGINS)} local HTTP servers (one child process), concurrency ${String(CONCURRENCY)}, ${String(PASSES)} measured passes each after a warm-up pass over a tenth`);
console.log(
  `load average (1 min) at start ${fmt(load[0] ?? NaN, 2)}, at end ${fmt(load[1] ?? NaN, 2)}, on ${String(os.availableParallelism())} cores; bench wall time ${fmt((performance.now() - benchStart) / 1000)} s`,
);
console.log(`${'prober'.padEnd(36)}${'probes'.padStart(8)}${'ok'.padStart(7)}${'CPU µs/probe'.padStart(14)}${'CPU s'.padStart(8)}${'wall s'.padStart(8)}${'probes/s'.padStart(10)}${'RSS MB'.padStart(8)}`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(36)}${String(r.probes).padStart(8)}${String(r.ok).padStart(7)}${fmt((r.cpuMs * 1000) / r.probes, 0).padStart(14)}${fmt(r.cpuMs / 1000, 2).padStart(8)}${fmt(r.wallMs / 1000, 2).padStart(8)}${fmt(r.probes / (r.wallMs / 1000), 0).padStart(10)}${(r.rss === undefined ? '-' : fmt(r.rss / 1e6, 0)).padStart(8)}`,
  );
}
const [own, other] = rows;
if (own !== undefined && other !== undefined) console.log(`CPU per probe, tunnelwatch / blackbox_exporter: ${fmt(own.cpuMs / own.probes / (other.cpuMs / other.probes), 2)} (blackbox CPU from /proc in ${String(clockTicks())} Hz ticks; it also serves each /probe request)`);
if (blackboxNote !== undefined) console.log(blackboxNote);
console.log(
  `/metrics render with ${String(ORIGINS)} origins (${String(render.series)} series, ${fmt(render.bytes / 1024, 0)} KiB): mean ${fmt(mean(render.ms), 2)} ms, p50 ${fmt(percentile(render.ms, 50), 2)} ms, p99 ${fmt(percentile(render.ms, 99), 2)} ms over ${String(RENDERS)} renders`,
);
