// Latency from the emulated cloudflared dropping one HA connection to tunnelwatch's /metrics and /status
// showing it, beside what a Prometheus scrape of cloudflared's own /metrics would need. Each round posts a
// drop fault to the emulator's control endpoint and polls tunnelwatch back to back (one request in flight
// per endpoint) until it shows fewer registered connections; then waits for the reconnect.
// The emulator backs off like cloudflared (10 s × 2^retries between reconnects, reset only after a quiet grace
// period), so at --time-scale 0.05 back-to-back drops wait up to 16 s each; 0.002 keeps 200 rounds within a
// minute. The scale only compresses the emulator's waits, not how fast tunnelwatch sees its log lines.
// Prints figures; not a test. Run: npm run build && node dist/bench/health-latency.bench.js
// (BENCH_ROUNDS=N, BENCH_TIME_SCALE=S)
import { mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeHttp, httpRequest, percentile, sleep, startTunnelwatch } from './support.js';

// 200 rounds, so the p99 is not simply the slowest round (with 50 it was: one scheduling hiccup decided it).
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const TIME_SCALE = process.env.BENCH_TIME_SCALE ?? '0.002';
const HA = 4;
/** Rounds whose drop is not seen within this long count as missed (the emulator had nothing to drop). */
const GIVE_UP_MS = 2000;

const REGISTERED = /^tunnelwatch_connector_registered_connections(?:\{[^}]*\})? (\S+)$/m;
const HA_GAUGE = /^cloudflared_tunnel_ha_connections(?:\{[^}]*\})? (\S+)$/m;

function gauge(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  return match ? Number(match[1]) : NaN;
}

/** Duration of every /metrics request of the rounds. */
const renderMs: number[] = [];

async function registeredOnMetrics(address: string): Promise<number> {
  const started = performance.now();
  const body = (await httpRequest('GET', `http://${address}/metrics`)).body;
  renderMs.push(performance.now() - started);
  return gauge(body, REGISTERED);
}

interface Status {
  readonly state: string;
  readonly registeredConnections: number;
  readonly transitions: readonly { readonly at: number; readonly to: string }[];
}

async function status(address: string): Promise<Status> {
  return JSON.parse((await httpRequest('GET', `http://${address}/status`)).body) as Status;
}

/** Polls `probe` back to back until `changed`; ms since `t0`, or undefined after GIVE_UP_MS. */
async function pollUntil<T>(t0: number, probe: () => Promise<T>, changed: (value: T) => boolean): Promise<{ ms: number | undefined; polls: number }> {
  let polls = 0;
  while (performance.now() - t0 < GIVE_UP_MS) {
    const value = await probe();
    polls++;
    if (changed(value)) return { ms: performance.now() - t0, polls };
  }
  return { ms: undefined, polls };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`health-latency: ${what} did not happen within ${String(timeoutMs)} ms`);
    await sleep(20);
  }
}

const benchStart = performance.now();
const spool = mkdtempSync(join(tmpdir(), 'tw-bench-latency-'));
const tw = await startTunnelwatch(['--time-scale', TIME_SCALE], {
  TUNNELWATCH_SERVER_LISTEN: '127.0.0.1:0',
  TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
  TUNNELWATCH_LOGS_SPOOL_DIR: spool,
  TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
});

const load = [os.loadavg()[0] ?? NaN];
const metricsMs: number[] = [];
const statusMs: number[] = [];
/** When tunnelwatch's state changed, by its own transition time (wall clock, same machine). */
const stateMs: number[] = [];
const polls: number[] = [];
const tally = {
  /** Drop and reconnect both fell between two polls: the state went and came back (seen in /status transitions). */
  between: 0,
  missed: 0,
  haGaugeMoved: 0,
  baseline: '',
};
try {
  const recovered = async (): Promise<boolean> => (await registeredOnMetrics(tw.address)) === HA && (await status(tw.address)).registeredConnections === HA;
  await waitFor(`${String(HA)} registered connections after start-up`, recovered, 20_000);
  tally.baseline = (await status(tw.address)).state;
  for (let round = 0; round < ROUNDS; round++) {
    const before = await status(tw.address);
    const wallT0 = Date.now();
    const t0 = performance.now();
    const posted = httpRequest('POST', `http://${tw.connector.control}/faults`, JSON.stringify({ fault: 'drop', conn: round % HA }));
    const [m, s] = await Promise.all([
      pollUntil(t0, () => registeredOnMetrics(tw.address), (n) => n < HA),
      pollUntil(t0, () => status(tw.address), (st) => st.registeredConnections < HA || st.state !== before.state),
    ]);
    await posted;
    // cloudflared's own gauge at the moment tunnelwatch already shows the drop.
    if (gauge((await httpRequest('GET', `http://${tw.connector.metrics}/metrics`)).body, HA_GAUGE) < HA) tally.haGaugeMoved++;
    const transition = (await status(tw.address)).transitions.find((t) => t.at >= wallT0 && t.to !== before.state);
    if (transition !== undefined) stateMs.push(transition.at - wallT0);
    if (m.ms === undefined || s.ms === undefined) {
      if (transition !== undefined) tally.between++;
      else tally.missed++;
    }
    if (m.ms !== undefined) metricsMs.push(m.ms);
    if (s.ms !== undefined) statusMs.push(s.ms);
    polls.push(m.polls);
    await waitFor('the reconnect after a drop', recovered, 20_000);
    // Let the reconnected slot settle (its "Registered" line and the next /ready poll) before the next drop.
    await sleep(20);
  }
} finally {
  load.push(os.loadavg()[0] ?? NaN);
  const code = await tw.stop();
  closeHttp();
  rmSync(spool, { recursive: true, force: true });
  if (code !== 0) console.log(`note: tunnelwatch exited with code ${String(code)} on SIGTERM`);
}
const wallSeconds = (performance.now() - benchStart) / 1000;

const ms = (n: number): string => (Number.isNaN(n) ? '-' : n.toFixed(1));
const row = (name: string, values: readonly number[], target = ''): string =>
  `${name.padEnd(40)}${ms(percentile(values, 50)).padStart(9)}${ms(percentile(values, 90)).padStart(9)}${ms(percentile(values, 99)).padStart(9)}${ms(Math.max(...values)).padStart(9)}  ${target}`;

const p99 = percentile(metricsMs, 99);
console.log(`rounds: ${String(ROUNDS)} drops of one of ${String(HA)} HA connections (emulator --time-scale ${TIME_SCALE}), state before each drop: ${tally.baseline}`);
console.log(
  `polling back to back, one request in flight per endpoint: ${ms(percentile(polls, 50))} /metrics polls per round at p50; one /metrics request p50 ${ms(percentile(renderMs, 50))} ms, p99 ${ms(percentile(renderMs, 99))} ms`,
);
console.log(
  `load average (1 min) at start ${(load[0] ?? NaN).toFixed(2)}, at end ${(load[1] ?? NaN).toFixed(2)}, on ${String(os.availableParallelism())} cores; bench wall time ${wallSeconds.toFixed(1)} s`,
);
console.log(`${'from POST /faults drop to ...'.padEnd(40)}${'p50 ms'.padStart(9)}${'p90 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'max ms'.padStart(9)}`);
console.log(row('tunnelwatch /metrics registered changed', metricsMs, `(target p99 < 50 ms) ${p99 < 50 ? 'ok' : 'ABOVE TARGET'}`));
console.log(row('tunnelwatch /status changed', statusMs));
console.log(row('state changed (transition time, 1 ms res.)', stateMs));
console.log(`${'scrape of cloudflared /metrics every 15 s'.padEnd(40)}  mean detection 7.5 s, worst 15 s (every 60 s: mean 30 s, worst 60 s)`);
console.log(
  `cloudflared_tunnel_ha_connections when tunnelwatch showed the drop: still ${String(HA)} in ${String(ROUNDS - tally.haGaugeMoved)} of ${String(ROUNDS)} rounds (it counts running slot loops, not registered connections; with waits compressed the retry loop often ends first)`,
);
if (tally.between > 0) console.log(`not timed: ${String(tally.between)} rounds reconnected before a poll could see the drop (the state change is in /status transitions)`);
if (tally.missed > 0) console.log(`missed: ${String(tally.missed)} rounds showed no change within ${String(GIVE_UP_MS)} ms and no transition`);
