// The composition root of `tunnelwatch run`: logging first (so everything after it is recorded), then the
// supervised connector. stop() is the SIGTERM path, in the order that loses nothing: stop the connector
// (its drain is logged), flush and ship the logs within what is left of the deadline.
import { mkdirSync } from 'node:fs';
import { Registry } from 'prom-client';
import { parseTunnelToken } from '../cloudflared/token.js';
import type { Settings } from '../config/schema.js';
import type { ChildExit } from '../supervisor/child.js';
import type { LineOutput } from '../telemetry/log-pipeline.js';
import type { RecordLabels } from '../telemetry/log-record.js';
import { PipelineMetrics } from '../telemetry/pipeline-metrics.js';
import { connectorCommand } from './connector-command.js';
import { startLogging, type Logging } from './logging.js';
import { clearConnectorPid, recordConnectorPid, stopStaleConnector } from './stale-connector.js';
import { startSupervision, type Supervision } from './supervision.js';

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

export class Sidecar {
  readonly registry: Registry;
  readonly labels: RecordLabels;
  readonly logging: Logging;
  readonly supervision: Supervision;
  readonly metrics: PipelineMetrics;
  readonly #settings: Settings;
  #stopping: Promise<number> | undefined;

  private constructor(settings: Settings, registry: Registry, labels: RecordLabels, logging: Logging, supervision: Supervision, metrics: PipelineMetrics) {
    this.#settings = settings;
    this.registry = registry;
    this.labels = labels;
    this.logging = logging;
    this.supervision = supervision;
    this.metrics = metrics;
  }

  static async start(o: SidecarOptions): Promise<Sidecar> {
    const { settings } = o;
    mkdirSync(settings.logs.spoolDir, { recursive: true });
    const labels = initialLabels(settings, o.env);
    // Spool drops can happen while the spools open, before the metrics exist; the holder bridges that.
    const late: { metrics?: PipelineMetrics; supervision?: Supervision } = {};
    const logging = await startLogging(settings, {
      labels,
      ...(o.stdout === undefined ? {} : { stdout: o.stdout }),
      ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
      onSpoolDrop: (sink, count, reason) => {
        late.metrics?.spoolDropped(sink, count, reason);
        logging.logger.error({ sink, count, reason }, `${sink} spool dropped ${String(count)} records (${reason === 'overflow' ? `over logs.spoolMaxBytes=${String(settings.logs.spoolMaxBytes)}` : 'unreadable after a crash'})`);
      },
    });
    const log = logging.logger;
    const stale = await stopStaleConnector(settings.logs.spoolDir, settings.cloudflared.gracePeriod + 5000);
    if (stale !== undefined) log.warn({ pid: stale }, `stopped cloudflared pid ${String(stale)} left running by a previous tunnelwatch`);
    if (process.pid === 1) log.info('running as PID 1: orphans of other processes are not reaped; use an init such as tini (docker run --init) if cloudflared is not the only child');
    const registry = new Registry();
    const metrics = new PipelineMetrics(registry, {
      counters: logging.pipeline.counters,
      sinks: logging.loki === undefined ? [] : [logging.loki],
      connectorUp: () => late.supervision?.supervisor.pid !== undefined,
      breakerOpen: () => late.supervision?.supervisor.state === 'breaker_open',
    });
    late.metrics = metrics;
    const supervision = startSupervision({ settings, command: connectorCommand(settings, o.env, o.emulatorEnv), logging, metrics, labels });
    late.supervision = supervision;
    supervision.supervisor.on('started', ({ pid }) => {
      recordConnectorPid(settings.logs.spoolDir, pid);
    });
    const sidecar = new Sidecar(settings, registry, labels, logging, supervision, metrics);
    log.info({ binary: settings.cloudflared.binary, metrics: settings.cloudflared.metrics }, 'tunnelwatch starting cloudflared');
    supervision.supervisor.start();
    return sidecar;
  }

  /** Graceful stop; resolves with the exit code for the process. Idempotent. */
  stop(why: string): Promise<number> {
    this.#stopping ??= this.#stop(why);
    return this.#stopping;
  }

  async #stop(why: string): Promise<number> {
    const log = this.logging.logger;
    const breaker = this.supervision.supervisor.state === 'breaker_open';
    log.info({ reason: why }, `stopping (${why}): cloudflared gets ${String(this.#settings.cloudflared.gracePeriod / 1000)}s to drain`);
    const exit: ChildExit | undefined = await this.supervision.supervisor.stop();
    clearConnectorPid(this.#settings.logs.spoolDir);
    const code = breaker ? RUN_EXIT.crashLoop : exit?.killed === true ? RUN_EXIT.killed : RUN_EXIT.clean;
    log.info({ exit_code: code, cloudflared_code: exit?.code ?? null, cloudflared_signal: exit?.signal ?? null, killed: exit?.killed ?? false }, 'stopped');
    await this.logging.stop(SHIP_ON_STOP_MS);
    return code;
  }
}

/** How long the stop waits for the Loki backlog to drain; what is left stays spooled for the next start. */
const SHIP_ON_STOP_MS = 5000;

function initialLabels(settings: Settings, env: Readonly<Record<string, string | undefined>>): RecordLabels {
  const labels: RecordLabels = {};
  const token = settings.cloudflared.token?.reveal();
  const parsed = token === undefined ? undefined : parseTunnelToken(token);
  const tunnelId = settings.edge.tunnelId ?? (parsed?.ok === true ? parsed.token.tunnelId : undefined);
  if (tunnelId !== undefined) labels.tunnel_id = tunnelId;
  const replica = settings.identity.replica ?? env.HOSTNAME;
  if (replica !== undefined && replica !== '') labels.replica = replica;
  if (settings.identity.zone !== undefined) labels.zone = settings.identity.zone;
  return labels;
}
