// When TunnelConnectorUnhealthy fires relative to its `for`, built in and through Prometheus, in one run: one
// `tunnelwatch run` (emulated connector) pushes its built-in alerts to a real Alertmanager, and a real
// Prometheus scrapes the same tunnelwatch every second and evaluates alerts/tunnelwatch.rules.yaml, alerting to
// the same Alertmanager (external label via="prometheus"). Each round takes the connector down (drop_all with
// the edge unreachable), measures from the health model's transition to down, then recovers it.
// Columns: built-in fired (engine's firedAt, from /status) and both paths' arrival at the webhook, each as
// "late by" beyond `for`. The built-in target is <= 2 s late; Alertmanager's group_wait (1 s) is in the arrivals.
// Prints figures; not a test. Needs the Debian packages prometheus and prometheus-alertmanager.
// Run: npm run build && node dist/bench/alert-latency.bench.js   (BENCH_ROUNDS=N, BENCH_FOR_S=S, BENCH_EVAL=1s)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compressedRules, startAlertmanager, startPrometheus, startWebhook, runningServers, waitFor, type NotifiedAlert } from './obs-servers.js';
import { closeHttp, httpRequest, mean, ROOT, startTunnelwatch } from './support.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FOR_S = Number(process.env.BENCH_FOR_S ?? 6);
const EVAL = process.env.BENCH_EVAL ?? '1s';
const ALERT = 'TunnelConnectorUnhealthy';
const REPLICA = 'bench';
const TARGET_LATE_MS = 2000;

interface Status {
  readonly state: string;
  readonly transitions: readonly { readonly at: number; readonly to: string }[];
  readonly alerts?: readonly { readonly alertname: string; readonly firingSince: number }[];
}

const spool = mkdtempSync(join(tmpdir(), 'tw-bench-alerts-'));
const webhook = await startWebhook();
const am = await startAlertmanager(webhook.url);
const tw = await startTunnelwatch(['--time-scale', '0.05'], {
  TUNNELWATCH_SERVER_LISTEN: '127.0.0.1:0',
  TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
  TUNNELWATCH_CLOUDFLARED_POLL_INTERVAL: '200ms',
  TUNNELWATCH_LOGS_SPOOL_DIR: spool,
  TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
  TUNNELWATCH_IDENTITY_REPLICA: REPLICA,
  TUNNELWATCH_ALERTS_ALERTMANAGERS: am.url,
  TUNNELWATCH_ALERTS_EVALUATION_INTERVAL: EVAL,
  TUNNELWATCH_ALERTS_RULES: JSON.stringify([{ alert: ALERT, for: `${String(FOR_S)}s`, keepFiringFor: '0s' }]),
});
const rules = compressedRules(readFileSync(join(ROOT, 'alerts', 'tunnelwatch.rules.yaml'), 'utf8'), ALERT, `${String(FOR_S)}s`);
const prometheus = await startPrometheus({ targets: [tw.address], rules, alertmanager: `127.0.0.1:${String(am.port)}`, externalLabels: { via: 'prometheus' } });

const status = async (): Promise<Status> => JSON.parse((await httpRequest('GET', `http://${tw.address}/status`)).body) as Status;
const fault = async (body: Readonly<Record<string, unknown>>): Promise<void> => {
  const reply = await httpRequest('POST', `http://${tw.connector.control}/faults`, JSON.stringify(body));
  if (reply.status !== 200) throw new Error(`alert-latency: fault ${JSON.stringify(body)} refused: HTTP ${String(reply.status)} ${reply.body}`);
};
const notified = (via: 'builtin' | 'prometheus', state: 'firing' | 'resolved', since: number): NotifiedAlert | undefined =>
  webhook.find(ALERT, state, { replica: REPLICA }).find((a) => a.startsAt >= since && (a.labels.via === 'prometheus') === (via === 'prometheus'));

interface Round {
  readonly builtInFired: number;
  readonly builtInArrived: number;
  readonly prometheusArrived: number;
  readonly prometheusStartsAt: number;
}

const forMs = FOR_S * 1000;
const results: Round[] = [];
try {
  await waitFor(async () => ((await status()).state === 'healthy' ? true : undefined), 'a healthy connector', 30_000);
  // The first scrape must be in before the first round, or Prometheus would start its `for` late.
  await waitFor(async () => ((await (await fetch(`${prometheus.url}/api/v1/query?query=tunnelwatch_tunnel_info`)).text()).includes(REPLICA) ? true : undefined), 'the first Prometheus scrape', 20_000);
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = Date.now();
    await fault({ fault: 'edge_unreachable' });
    await fault({ fault: 'drop_all' });
    const downAt = await waitFor(async () => (await status()).transitions.findLast((t) => t.to === 'down' && t.at >= t0)?.at, 'the connector down', 20_000);
    const fired = await waitFor(async () => (await status()).alerts?.find((a) => a.alertname === ALERT)?.firingSince, 'the built-in alert firing', forMs + 20_000);
    const builtIn = await waitFor(() => notified('builtin', 'firing', t0), 'the built-in alert at the webhook', 20_000);
    const viaPrometheus = await waitFor(() => notified('prometheus', 'firing', t0), 'the Prometheus alert at the webhook', 30_000);
    results.push({
      builtInFired: fired - downAt - forMs,
      builtInArrived: builtIn.receivedAt - downAt - forMs,
      prometheusArrived: viaPrometheus.receivedAt - downAt - forMs,
      prometheusStartsAt: viaPrometheus.startsAt - downAt - forMs,
    });
    await fault({ fault: 'clear' });
    await waitFor(() => (notified('builtin', 'resolved', t0) && notified('prometheus', 'resolved', t0) ? true : undefined), 'both resolves at the webhook', 60_000);
  }
} finally {
  await tw.stop();
  await prometheus.close();
  await am.close();
  await webhook.close();
  closeHttp();
  rmSync(spool, { recursive: true, force: true });
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const column = (pick: (r: Round) => number): string => `${results.map((r) => s(pick(r))).join(', ')}  (mean ${s(mean(results.map(pick)))}, max ${s(Math.max(...results.map(pick)))})`;
console.log(`alert-latency: TunnelConnectorUnhealthy, for ${String(FOR_S)} s, built-in evaluation every ${EVAL}, Prometheus scrape and evaluation every 1 s, Alertmanager group_wait 1 s; ${String(results.length)} rounds`);
console.log('late beyond `for`, measured from the health model\'s transition to down:');
console.log(`  built-in fired (firedAt)              ${column((r) => r.builtInFired)}`);
console.log(`  built-in at the webhook               ${column((r) => r.builtInArrived)}`);
console.log(`  Prometheus startsAt                   ${column((r) => r.prometheusStartsAt)}`);
console.log(`  Prometheus at the webhook             ${column((r) => r.prometheusArrived)}`);
const worst = Math.max(...results.map((r) => r.builtInFired));
console.log(`built-in target: fires <= ${s(TARGET_LATE_MS)} late: ${worst <= TARGET_LATE_MS ? 'met' : 'MISSED'} (worst ${s(worst)})`);
const left = runningServers();
if (left.length > 0) throw new Error(`alert-latency: servers still running: ${left.join(', ')}`);
