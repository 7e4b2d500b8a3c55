// Golden file of the whole /metrics a sidecar serves, built from the real parts: an emulated cloudflared
// (fixed CFEMU_SEED, so colos, edge IPs and ids repeat), the real connector collector run once, the
// emulator's own log lines, two origins (one up, one down), and the registry exactly as the sidecar builds
// it. Every observation is stamped with one frozen time, so states, `since` and time-in-state are fixed.
// What still varies between runs — process and Node runtime metrics, timings and traffic of the emulated
// QUIC paths, the Node version — is listed by name below and masked; the rest must match byte for byte.
// UPDATE_GOLDEN=1 rewrites test/fixtures/metrics-golden.txt.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import type { ConnectorMetrics } from '../src/cloudflared/metrics/connector-metrics.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import { alertMetrics } from '../src/alerts/metrics.js';
import { effectiveRules } from '../src/alerts/overrides.js';
import { connectorCollector } from '../src/collectors/connector.js';
import type { CollectorStats } from '../src/collectors/runner.js';
import { settingsSchema } from '../src/config/schema.js';
import { runbookBaseUrl } from '../src/config/index.js';
import type { ProbeResult } from '../src/probers/index.js';
import { sidecarRegistry, type HealthSources } from '../src/sidecar/registry.js';
import { HealthModel, healthOptions } from '../src/state/health-model.js';
import { PipelineMetrics } from '../src/telemetry/metrics/pipeline-metrics.js';
import { Emulated } from './emulator-cloudflared-harness.js';
import { UPDATE_GOLDEN } from './fixtures/metrics/golden.js';
import { RESTART_REASONS } from '../src/supervisor/restart-policy.js';
import { fenceMetrics } from '../src/sidecar/fencing.js';
import { incidentMetrics } from '../src/incidents/index.js';
import { diagnose } from '../src/diagnosis/index.js';

const GOLDEN = fileURLToPath(new URL('fixtures/metrics-golden.txt', import.meta.url));
const FROZEN = Date.parse('2026-06-01T12:00:00Z');
const SEED = 'metrics-golden';

/** Metrics whose values differ from run to run (by full name, or by prefix when ending in `*`). */
const NON_DETERMINISTIC = [
  // prom-client's default process and Node runtime metrics.
  'tunnelwatch_process_*',
  'tunnelwatch_nodejs_*',
  // The emulated connector's own process and its simulated QUIC paths (jittered RTTs, traffic).
  'tunnelwatch_cloudflared_process_*',
  'tunnelwatch_cloudflared_quic_smoothed_rtt_seconds',
  'tunnelwatch_cloudflared_quic_min_rtt_seconds',
  'tunnelwatch_cloudflared_quic_latest_rtt_seconds',
  'tunnelwatch_cloudflared_quic_sent_bytes_total',
  'tunnelwatch_cloudflared_quic_received_bytes_total',
  'tunnelwatch_cloudflared_quic_lost_packets_total',
  // How long the one collector run took.
  'tunnelwatch_collector_duration_seconds',
];

/** Labels whose values differ from run to run, whatever the metric. */
const VARYING_LABELS = ['node_version'];

function matches(name: string, pattern: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** The sample's metric family: its name, or the histogram/summary it belongs to. */
function family(name: string): string {
  return name.replace(/_(bucket|sum|count)$/, '');
}

/**
 * Masks NON_DETERMINISTIC families and VARYING_LABELS label values. A masked family keeps its HELP and TYPE
 * lines only: its set of series varies too (GC kinds seen, open handle types; the event-loop delay gauges have
 * none in a scrape that came before the histogram's next sample).
 */
function normalise(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') {
      out.push(line);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`metrics-golden: cannot read sample line ${JSON.stringify(line)}; expected text exposition format`);
    const [, name = '', rawLabels = '', value = ''] = m;
    if (NON_DETERMINISTIC.some((p) => matches(name, p) || matches(family(name), p))) continue;
    let labels = rawLabels;
    for (const l of VARYING_LABELS) labels = labels.replace(new RegExp(`${l}="(?:[^"\\\\]|\\\\.)*"`), `${l}="<var>"`);
    out.push(`${name}${labels} ${value}`);
  }
  return out.join('\n');
}

const origins: ReadonlyMap<string, ProbeResult> = new Map([
  ['rule0:http://127.0.0.1:8080', { ok: true, durationMs: 12, status: 200, phases: { dnsMs: 0, connectMs: 1, firstByteMs: 10, totalMs: 12 } }],
  ['rule1:tcp://127.0.0.1:9', { ok: false, error: 'connect ECONNREFUSED 127.0.0.1:9', durationMs: 1, phases: { totalMs: 1 } }],
]);

let emulator: Emulated | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

/**
 * Waits until every QUIC path passed its third keepalive, after which the emulator no longer changes its
 * congestion state, window and MTU (src/emulator/cloudflared/quic-path.ts); only RTTs and bytes still move.
 */
async function settledQuic(emu: Emulated): Promise<void> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const text = await emu.metrics();
    const settled = [0, 1, 2, 3].every((i) => text.includes(`quic_client_congestion_state{conn_index="${String(i)}"} 2`));
    if (settled) return;
    if (Date.now() > deadline) throw new Error(`the emulated QUIC paths never settled; /metrics:\n${text}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

/** The /metrics text a sidecar would serve after one poll of a healthy emulated connector, all at FROZEN. */
async function render(): Promise<string> {
  const emu = Emulated.start({ env: { CFEMU_SEED: SEED } });
  emulator = emu;
  await emu.until(() => (emu.registered().length >= 4 ? true : undefined), '4 registered connections');
  await emu.readyUntil((r) => r.body.readyConnections === 4, '4 ready connections');
  await settledQuic(emu);
  const { metrics } = await emu.ports();

  const settings = settingsSchema.parse({});
  const model = new HealthModel(healthOptions(settings), FROZEN);
  model.apply({ kind: 'process', at: FROZEN, phase: 'running', pid: 4242 });
  // The emulator's own lines, in order, as the supervisor would have passed them on.
  for (const line of emu.lines) model.apply({ kind: 'log', at: FROZEN, event: parseLogLine(line) });

  const collector = connectorCollector({ metricsAddress: () => metrics, intervalMs: 2000 });
  const observations = await collector.collect({ signal: AbortSignal.timeout(5000), now: () => FROZEN });
  let connectorMetrics: ConnectorMetrics | undefined;
  for (const o of observations) {
    model.apply(o);
    if (o.kind === 'metrics' && o.ok) connectorMetrics = o.metrics;
  }
  expect(observations.map((o) => `${o.kind}:${String('ok' in o && o.ok)}`).sort()).toEqual(['metrics:true', 'ready:true']);

  model.apply({
    kind: 'origin_targets',
    at: FROZEN,
    targets: [
      { key: 'rule0:http://127.0.0.1:8080', service: 'http://127.0.0.1:8080', rule: 0, hostname: 'app.example.com' },
      { key: 'rule1:tcp://127.0.0.1:9', service: 'tcp://127.0.0.1:9', rule: 1, hostname: 'db.example.com' },
    ],
  });
  for (let i = 0; i < settings.origins.failuresToDown; i++) {
    for (const [key, r] of origins) {
      model.apply({ kind: 'origin', at: FROZEN, key, ok: r.ok, durationMs: r.durationMs, ...(r.error === undefined ? {} : { error: r.error }) });
    }
  }
  expect(model.snapshot.state).toBe('healthy');

  const stats: ReadonlyMap<string, CollectorStats> = new Map([['connector', { name: 'connector', lastDurationSeconds: 0.01, lastSuccess: true, runs: 1, failures: 0 }]]);
  const health: HealthSources = {
    snapshot: model.snapshot,
    connectorMetrics,
    runner: { stats },
    origins: { results: origins },
    edge: undefined,
    edgeReach: undefined,
    // One request through the tunnel served by the origin, one that Cloudflare answered with its 1033 page.
    tunnelChecks: {
      checks: [
        { url: 'https://app.example.com/healthz', at: FROZEN, durationMs: 42, status: 200, server: 'cloudflare', ray: '8f1e2a3b4c5d6e7f-LAX', head: 'ok' },
        { url: 'https://old.example.com/', at: FROZEN, durationMs: 35, status: 530, server: 'cloudflare', ray: '8f1e2a3b4c5d6e80-LAX', head: 'error code: 1033' },
      ],
    },
    configFindings: undefined,
    diagnosis: diagnose({ snapshot: model.snapshot, lines: new Map(), runbookBaseUrl: runbookBaseUrl(settings) }),
  };
  const pipeline = new PipelineMetrics({
    counters: { records: 0, bySource: { cloudflared: 0, tunnelwatch: 0 }, stdoutWritten: 0, stdoutDropped: 0, sinkErrors: {} },
    sinks: [],
    connectorUp: () => true,
    breakerOpen: () => false,
    restartReasons: RESTART_REASONS,
  });
  const alerts = alertMetrics({ rules: effectiveRules([]), firing: () => [], notifications: () => [] });
  const registry = sidecarRegistry(health, pipeline, { replica: 'replica-a', zone: 'zone-1' }, [alerts, incidentMetrics((trigger) => (trigger === 'down' ? 1 : 0)), fenceMetrics(() => false, () => ({ fence: 1, unfence: 1 }))]);
  return normalise(await registry.metrics());
}

it('renders the whole /metrics of a healthy emulated connector as the golden file', async () => {
  const text = await render();
  if (UPDATE_GOLDEN) writeFileSync(GOLDEN, text);
  expect(text).toBe(readFileSync(GOLDEN, 'utf8'));
}, 20_000);
