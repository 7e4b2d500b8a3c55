// The composition root of `tunnelwatch run`: tracing and logging first (so everything after is recorded),
// then the health watch, the HTTP server and the supervised connector. stop() is the SIGTERM path, in the
// order that loses nothing: stop polling, stop the connector (its drain is logged), close the server, flush
// and ship the logs within a deadline, and flush the traces last.
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { type Alerting, startAlerting } from '../alerts/index.js';
import type { Settings } from '../config/index.js';
import type { Diagnosis } from '../diagnosis/index.js';
import type { HealthSnapshot } from '../state/index.js';
import { buildServer, parseListen } from '../server/index.js';
import { type ChildExit, RESTART_REASONS } from '../supervisor/index.js';
import type { LineOutput, RecordLabels } from '../telemetry/logs/index.js';
import { PipelineMetrics, SpoolDrops } from '../telemetry/metrics/index.js';
import { startTracing, traceFields, type Tracing } from '../telemetry/tracing/index.js';
import { VERSION } from '../base/index.js';
import { makeConnector } from './connector.js';
import { HealthWatch } from './health-watch.js';
import { HistorySampler } from './history-sampler.js';
import { alertInputs } from './alert-inputs.js';
import { Fencing } from './fencing.js';
import { IncidentBundles } from './incident-bundles.js';
import { sidecarRegistry } from './registry.js';
import { startLogging, type Logging } from './logging.js';
import { lockSpoolDir, type SpoolLock } from './spool-lock.js';
import { clearConnectorPid, recordConnectorPid, stopStaleConnector } from './stale-connector.js';
import { startSupervision, type Supervision } from './supervision.js';
import { withTokenIdentity } from './token-identity.js';
import { withZoneFile } from './zone-file.js';
import { connectorExposition } from './connector-exposition.js';
import { DropReports } from './drop-reports.js';
import { settledWithin } from './within.js';

export interface SidecarOptions {
  readonly settings: Settings;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout?: LineOutput;
  /** CFEMU_* variables for `cloudflared.binary: emulator`. */
  readonly emulatorEnv?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
}

/** How a run ended, as an exit code: 0 clean, 3 cloudflared had to be SIGKILLed, 4 crash loop. */
export const RUN_EXIT = { clean: 0, killed: 3, crashLoop: 4 } as const;

/** How long the stop waits for the Loki backlog to drain; what is left stays spooled for the next start. */
const SHIP_ON_STOP_MS = 5000;

/** How long the stop waits for each part before cloudflared's drain: the collectors, the Alertmanager requests. */
const STAGE_MS = 3000;

interface Parts {
  readonly settings: Settings;
  readonly labels: RecordLabels;
  readonly tracing: Tracing;
  readonly logging: Logging;
  readonly health: HealthWatch;
  readonly history: HistorySampler;
  readonly alerting: Alerting;
  readonly registry: Registry;
  readonly server: FastifyInstance;
  readonly supervision: Supervision;
  readonly fencing: Fencing;
  readonly incidents: IncidentBundles;
  readonly dropReports: DropReports;
  readonly lock: SpoolLock;
}

export class Sidecar {
  readonly #p: Parts;
  /** Where the HTTP server listens (`host:port`, with the real port when 0 was asked for). */
  readonly address: string;
  #stopping: Promise<number> | undefined;

  private constructor(parts: Parts, address: string) {
    this.#p = parts;
    this.address = address;
  }

  get health(): HealthWatch {
    return this.#p.health;
  }

  get registry(): Registry {
    return this.#p.registry;
  }

  get supervision(): Supervision {
    return this.#p.supervision;
  }

  get logging(): Logging {
    return this.#p.logging;
  }

  /** Starts every part; refuses (SpoolLockedError) when another tunnelwatch runs on the same spool directory. */
  static async start(o: SidecarOptions): Promise<Sidecar> {
    mkdirSync(o.settings.logs.spoolDir, { recursive: true });
    // Taken before anything touches the spool or a stale connector, released on any failure to start.
    const lock = lockSpoolDir(o.settings.logs.spoolDir);
    try {
      return await Sidecar.#startLocked(o, lock);
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  static async #startLocked(o: SidecarOptions, lock: SpoolLock): Promise<Sidecar> {
    const zoned = withZoneFile(withTokenIdentity(o.settings));
    const { settings } = zoned;
    const labels = initialLabels(settings, o.env);
    const tracing = await startTracing({
      env: o.env,
      serviceVersion: VERSION,
      resourceAttributes: { ...(labels.tunnel_id === undefined ? {} : { 'tunnelwatch.tunnel.id': labels.tunnel_id }), ...(labels.replica === undefined ? {} : { 'tunnelwatch.replica': labels.replica }) },
    });
    // Built first, started last: log backpressure pauses its output, the metrics read its state.
    const supervisor = makeConnector(settings, o.env, o.emulatorEnv);
    // Spool drops can happen while the spools open, before the metrics exist.
    const spoolDrops = new SpoolDrops();
    const dropReports = new DropReports(settings.logs.spoolMaxBytes);
    const logging = await startLogging(settings, {
      labels,
      mixin: () => ({ ...traceFields() }),
      onPressure: (saturated) => {
        supervisor.pauseOutput(saturated);
      },
      ...(o.stdout === undefined ? {} : { stdout: o.stdout }),
      ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
      onSpoolDrop: (sink, count, reason, level) => {
        spoolDrops.dropped(sink, count, reason, level);
        dropReports.dropped(sink, count, reason, level);
      },
    });
    const log = logging.logger;
    dropReports.start(log);
    log.info({ tracing: tracing.enabled }, tracing.describe);
    if (zoned.warning !== undefined) log.warn(zoned.warning);
    const stale = await stopStaleConnector(settings.logs.spoolDir, settings.cloudflared.gracePeriod + 5000);
    if (stale !== undefined) log.warn({ pid: stale }, `stopped cloudflared pid ${String(stale)} left running by a previous tunnelwatch`);
    if (process.pid === 1) log.info('running as PID 1: orphans of other processes are not reaped; use an init such as tini (docker run --init) if cloudflared is not the only child');

    const metrics = new PipelineMetrics({
      counters: logging.pipeline.counters,
      sinks: logging.sinks,
      connectorUp: () => supervisor.alive,
      breakerOpen: () => supervisor.state === 'breaker_open',
      restartReasons: RESTART_REASONS,
      spoolDrops,
    });
    // The supervision acts on causes (restore QUIC), incident bundles on state changes, and the health watch reads the
    // supervisor: wired once all exist.
    let onDiagnosis: (diagnosis: readonly Diagnosis[]) => void = () => undefined;
    let onStateChange: (before: HealthSnapshot, after: HealthSnapshot) => void = () => undefined;
    const health = await HealthWatch.create({
      settings,
      logger: log,
      metricsAddress: () => supervisor.metricsAddress,
      redact: (text) => logging.redactor.text(text),
      onDiagnosis: (diagnosis) => { onDiagnosis(diagnosis); },
      onStateChange: (before, after) => { onStateChange(before, after); },
    });
    const history = new HistorySampler({ intervalMs: settings.server.historyInterval, snapshot: () => health.snapshot });
    const supervision = startSupervision({
      settings,
      supervisor,
      logging,
      metrics,
      labels,
      onEvent: (event, at) => { health.event(event, at); history.event(event); },
      registered: () => health.snapshot.registeredConnections,
      onProcess: (observation) => { health.observe(observation); },
    });
    onDiagnosis = (diagnosis) => { supervision.quicFallbackPersists(diagnosis.find((d) => d.cause === 'quic_fallback_persists')); };
    const incidents = new IncidentBundles({
      settings,
      log,
      snapshot: () => health.snapshot,
      diagnosis: () => health.diagnosis,
      alerts: () => alerting.firing(),
      probes: () => ({ origins: Object.fromEntries(health.origins.results), throughTunnel: health.tunnelChecks?.checks ?? [] }),
      metrics: () => registry.metrics(),
      connectorAddress: () => supervisor.metricsAddress,
      records: () => logging.recent.lines(),
      redact: (value) => logging.redactor.value(value),
    });
    onStateChange = (before, after) => { incidents.stateChanged(before, after); };
    const fencing = new Fencing({
      settings,
      supervisor,
      log,
      snapshot: () => health.snapshot,
      onHeld: (why) => { health.observe({ kind: 'process', at: Date.now(), phase: 'stopped', lastExit: why }); },
    });
    const alerting = startAlerting({
      settings,
      inputs: () => alertInputs(health, metrics, logging, supervision, labels, settings.identity.labels, incidents.last, fencing.state),
      log: (level, fields, msg) => { log[level](fields, msg); },
    });
    const registry = sidecarRegistry(health, metrics, labels, [alerting.metrics, incidents.metrics, fencing.metrics]);
    // What cloudflared wrote reaches /status too (last errors, evidence lines): redacted as the log records are.
    const server = buildServer({
      snapshot: () => logging.redactor.value(health.snapshot),
      registry,
      server: settings.server,
      alerts: () => alerting.firing(),
      pendingAlerts: () => alerting.pending(),
      history: () => history.view,
      identity: () => ({ replica: labels.replica, zone: labels.zone, tunnelId: labels.tunnel_id }),
      runbookBaseUrl: settings.alerts.runbookBaseUrl,
      diagnosis: () => health.diagnosis,
      incidents: { last: () => incidents.last, write: () => incidents.write('on_demand', 'asked for through POST /incidents') },
      fence: () => fencing.state,
      ...(settings.server.cloudflaredMetrics ? { connectorExposition: connectorExposition(() => supervisor.metricsAddress) } : {}),
    });
    let address: string;
    try {
      address = await listen(server, settings.server.listen);
    } catch (error) {
      await alerting.stop();
      dropReports.stop();
      await logging.stop(0);
      await tracing.shutdown();
      throw new Error(`cannot serve on server.listen=${settings.server.listen}: ${(error as Error).message}; choose another address with --listen or TUNNELWATCH_SERVER_LISTEN`, { cause: error });
    }
    log.info({ address }, `serving /metrics, /healthz, /readyz, /status and the status page on http://${address}/`);

    supervisor.on('started', ({ pid }) => {
      recordConnectorPid(settings.logs.spoolDir, pid);
    });
    const attach = settings.cloudflared.attach;
    if (attach === undefined) log.info({ binary: settings.cloudflared.binary, metrics: settings.cloudflared.metrics }, 'starting cloudflared');
    else log.info({ log_file: attach.logFile, metrics: settings.cloudflared.metrics }, `attaching to the cloudflared beside tunnelwatch: its log ${attach.logFile}, its metrics server ${settings.cloudflared.metrics}`);
    supervisor.start();
    health.start();
    history.start();
    if (settings.fencing.enabled) fencing.start();
    return new Sidecar({ settings, labels, tracing, logging, health, history, alerting, registry, server, supervision, fencing, incidents, dropReports, lock }, address);
  }

  /** Graceful stop; resolves with the exit code for the process. Idempotent. */
  stop(why: string): Promise<number> {
    this.#stopping ??= this.#stop(why);
    return this.#stopping;
  }

  async #stop(why: string): Promise<number> {
    const { settings, logging, health, history, alerting, server, supervision, fencing, incidents, dropReports, tracing, lock } = this.#p;
    const log = logging.logger;
    const breaker = supervision.supervisor.state === 'breaker_open';
    const leaves = settings.cloudflared.attach === undefined ? `cloudflared gets ${String(settings.cloudflared.gracePeriod / 1000)}s to drain` : 'the attached cloudflared keeps running';
    log.info({ reason: why }, `stopping (${why}): ${leaves}`);
    const stage = async (what: string, work: Promise<unknown>): Promise<void> => {
      if (await settledWithin(work, STAGE_MS)) return;
      log.warn({ stage: what, waited_ms: STAGE_MS }, `stopping: ${what} did not finish within ${String(STAGE_MS / 1000)}s; going on without it so the stop ends`);
    };
    fencing.stop();
    incidents.stopping();
    history.stop();
    await stage('the collectors', health.stop());
    await stage('the Alertmanager notifications', alerting.stop());
    const exit: ChildExit | undefined = await supervision.supervisor.stop();
    clearConnectorPid(settings.logs.spoolDir);
    await stage('the HTTP server', server.close());
    const code = breaker ? RUN_EXIT.crashLoop : exit?.killed === true ? RUN_EXIT.killed : RUN_EXIT.clean;
    dropReports.stop();
    log.info({ exit_code: code, cloudflared_code: exit?.code ?? null, cloudflared_signal: exit?.signal ?? null, killed: exit?.killed ?? false }, 'stopped');
    await logging.stop(SHIP_ON_STOP_MS);
    await tracing.shutdown();
    lock.release();
    return code;
  }
}

async function listen(server: FastifyInstance, listenSetting: string): Promise<string> {
  const { host, port } = parseListen(listenSetting);
  await server.listen({ host, port });
  const bound = server.server.address();
  if (bound === null || typeof bound === 'string') return listenSetting;
  return `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${String(bound.port)}`;
}

function initialLabels(settings: Settings, env: Readonly<Record<string, string | undefined>>): RecordLabels {
  const labels: RecordLabels = {};
  if (settings.edge.tunnelId !== undefined) labels.tunnel_id = settings.edge.tunnelId;
  // Never unnamed: "unreachable from replica  of tunnel" helps no one; a pod's or host's name is what people know.
  const replica = settings.identity.replica || env.HOSTNAME || hostname();
  if (replica !== '') labels.replica = replica;
  if (settings.identity.zone !== undefined && settings.identity.zone !== '') labels.zone = settings.identity.zone;
  return labels;
}
