// The health side of the sidecar: the collectors (connector, edge, origins) on one runner, the health model
// they feed, and what a state change means for people — a log record and a span per transition. Log events
// from the supervisor enter here too, so a lost connection changes the state at once, between polls.
import { readFileSync } from 'node:fs';
import { type ConfigShape, edgeArgs } from '../cloudflared/config/index.js';
import type { LogEvent } from '../cloudflared/log/index.js';
import type { ConnectorMetrics } from '../cloudflared/metrics/index.js';
import { type Collector, CollectorRunner, connectorCollector, type EdgeCollector, edgeReachCollector, type EdgeReachCollector, originsCollector, type OriginsCollector, readConfig, tunnelChecksCollector, type TunnelChecksCollector } from '../collectors/index.js';
import { runbookBaseUrl, type Settings } from '../config/index.js';
import { CAUSES, type CauseId, diagnose, type Diagnosis, type LatencyThresholds, LineEvidence } from '../diagnosis/index.js';
import { HealthModel, healthOptions, type HealthSnapshot, type Observation } from '../state/index.js';
import type { Logger } from '../telemetry/logs/index.js';
import { pointSpan } from '../telemetry/tracing/index.js';
import { insecureFindings, type InsecureFinding } from './config-findings.js';
import { describeChanges } from './health-log.js';

export interface HealthWatchOptions {
  readonly settings: Settings;
  readonly logger: Logger;
  /** cloudflared's metrics address, learnt from its log (the supervisor knows it); undefined until announced. */
  readonly metricsAddress: () => string | undefined;
  readonly now?: () => number;
  /** Masks configured secrets in evidence text before it leaves (status, alerts, records). */
  readonly redact?: (text: string) => string;
  /** The causes found, each time they are checked (every non-log observation, and lines that prove a cause). */
  readonly onDiagnosis?: (diagnosis: readonly Diagnosis[]) => void;
  /** The connector's state changed (healthy, degraded, down, ...). */
  readonly onStateChange?: (before: HealthSnapshot, after: HealthSnapshot) => void;
}

export class HealthWatch {
  readonly model: HealthModel;
  readonly runner: CollectorRunner;
  readonly origins: OriginsCollector;
  readonly edge: EdgeCollector | undefined;
  readonly edgeReach: EdgeReachCollector | undefined;
  /** Requests through the tunnel (settings.endToEnd); undefined when no URL is set. */
  readonly tunnelChecks: TunnelChecksCollector | undefined;
  readonly #log: Logger;
  readonly #now: () => number;
  #metrics: ConnectorMetrics | undefined;
  #started = false;
  #findings: ReadonlyMap<InsecureFinding, number> | undefined;
  readonly #lines = new LineEvidence();
  /** The causes last logged as found, so each is logged once when found and once when gone. */
  #announced: ReadonlySet<CauseId> = new Set();
  readonly #runbookBaseUrl: string;
  readonly #thresholds: LatencyThresholds;
  readonly #expectedTunnelId: string | undefined;
  readonly #redact: (text: string) => string;
  readonly #onDiagnosis: ((diagnosis: readonly Diagnosis[]) => void) | undefined;
  readonly #onStateChange: ((before: HealthSnapshot, after: HealthSnapshot) => void) | undefined;

  /** The Cloudflare SDK (tens of MB) loads only when the edge view is configured. */
  static async create(o: HealthWatchOptions): Promise<HealthWatch> {
    const e = o.settings.edge;
    const model = new HealthModel(healthOptions(o.settings), (o.now ?? Date.now)());
    if (e.apiToken === undefined || e.accountId === undefined || e.tunnelId === undefined) return new HealthWatch(o, model, undefined);
    const { edgeCollector } = await import('../collectors/edge.js');
    const { ApiBudget } = await import('../collectors/api-budget.js');
    const edge = edgeCollector({
      apiToken: e.apiToken,
      accountId: e.accountId,
      tunnelId: e.tunnelId,
      baseUrl: e.baseUrl,
      intervalMs: e.pollInterval,
      budget: new ApiBudget({ share: e.budgetShare }),
      connectorId: () => model.snapshot.connectorId,
    });
    return new HealthWatch(o, model, edge);
  }

  private constructor(o: HealthWatchOptions, model: HealthModel, edge: EdgeCollector | undefined) {
    const { settings } = o;
    this.#log = o.logger;
    this.#now = o.now ?? Date.now;
    this.#runbookBaseUrl = runbookBaseUrl(settings);
    this.#thresholds = { originLatencyMs: settings.diagnosis.originLatency, edgeRttMs: settings.diagnosis.edgeRtt };
    this.#expectedTunnelId = settings.edge.tunnelId;
    this.#redact = o.redact ?? ((text) => text);
    this.#onDiagnosis = o.onDiagnosis;
    this.#onStateChange = o.onStateChange;
    this.model = model;
    this.origins = originsCollector(settings.origins);
    const e = settings.edge;
    this.edge = edge;
    const connector = connectorCollector({
      metricsAddress: o.metricsAddress,
      intervalMs: settings.cloudflared.pollInterval,
      onConfig: (version, body) => {
        this.#setRules(body, version < 0 ? 'the connector\'s local config (/config)' : `remote config version ${String(version)} (/config)`, 'endpoint');
      },
    });
    const reach = settings.edge.reachabilityInterval;
    // Checked where cloudflared looks: its --edge addresses, or its --region's SRV name.
    this.edgeReach = reach > 0 ? edgeReachCollector(reach, edgeArgs(settings.cloudflared.extraArgs)) : undefined;
    this.tunnelChecks = settings.endToEnd.urls.length > 0 ? tunnelChecksCollector(settings.endToEnd) : undefined;
    const optional = [this.edge, this.edgeReach, this.tunnelChecks].filter((c): c is NonNullable<typeof c> => c !== undefined);
    const collectors: Collector[] = [connector, this.origins, ...optional];
    this.runner = new CollectorRunner(collectors, (batch) => { this.observeAll(batch); }, { now: this.#now });
    if (e.apiToken === undefined) this.#log.info('edge view off: set edge.apiToken (a read-only Cloudflare API token), edge.accountId and edge.tunnelId to compare with what Cloudflare sees');
    else if (this.edge === undefined) this.#log.warn('edge view off: edge.apiToken is set but edge.accountId or edge.tunnelId is missing, and no readable tunnel token (cloudflared.token or cloudflared.tokenFile) names them');
    const file = settings.cloudflared.config;
    if (file !== undefined) {
      try {
        this.#setRules(readFileSync(file, 'utf8'), file, 'local');
      } catch (error) {
        this.#log.error({ file }, `cannot read cloudflared.config ${file}: ${(error as Error).message}; origins come from the connector's /config instead`);
      }
    } else {
      this.observe(this.origins.setRules([], 'settings (origins.targets)', this.#now()));
    }
  }

  get snapshot(): HealthSnapshot {
    return this.model.snapshot;
  }

  /** The last /metrics the connector served, typed (for the normalised re-export). */
  get connectorMetrics(): ConnectorMetrics | undefined {
    return this.#metrics;
  }

  /** Insecure settings in the current cloudflared config, by finding; undefined before a config was read. */
  get configFindings(): ReadonlyMap<InsecureFinding, number> | undefined {
    return this.#findings;
  }

  start(): void {
    this.#started = true;
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  /** Why the connector is in its state: the causes proven now, with evidence and fix. */
  get diagnosis(): readonly Diagnosis[] {
    const report = this.edgeReach?.report;
    const found = diagnose({
      snapshot: this.model.snapshot,
      lines: this.#lines.proofs(this.#now()),
      runbookBaseUrl: this.#runbookBaseUrl,
      thresholds: this.#thresholds,
      edgeRtt: this.#metrics?.quic?.connections ?? [],
      ...(this.#expectedTunnelId === undefined ? {} : { expectedTunnelId: this.#expectedTunnelId }),
      ...(report === undefined ? {} : { reach: report }),
      ...(this.tunnelChecks === undefined ? {} : { tunnelChecks: this.tunnelChecks.checks }),
    });
    return found.map((d) => ({ ...d, evidence: d.evidence.map((e) => ({ ...e, text: this.#redact(e.text) })) }));
  }

  /** A cloudflared log event, as the supervisor read it. */
  event(event: LogEvent, at: number): void {
    const cause = this.#lines.observe(event, at);
    this.observe({ kind: 'log', at, event });
    // Diagnosing every line would cost in a flood: only a line that proves a new cause, or a registration
    // (which clears start-up causes), can change what is announced.
    if ((cause !== undefined && !this.#announced.has(cause)) || event.type === 'registered') this.#announce();
    if (event.type === 'config_updated' && event.configJson !== undefined) {
      this.#setRules(event.configJson, `remote config version ${String(event.version ?? '?')} (log)`, 'remote');
    }
  }

  observe(o: Observation): void {
    this.observeAll([o]);
  }

  /** A collector run's observations, folded in together: what changed is logged and diagnosed once for them. */
  observeAll(observations: readonly Observation[]): void {
    for (const o of observations) {
      // Re-exported values are current or absent: a failed poll or another process voids the last ones.
      if (o.kind === 'metrics') this.#metrics = o.ok ? o.metrics : undefined;
      if (o.kind === 'process') this.#metrics = undefined;
    }
    const before = this.model.snapshot;
    const after = this.model.applyAll(observations);
    if (before.state !== after.state) {
      pointSpan('state transition', { from: before.state, to: after.state, reasons: after.reasons.map((r) => r.code).join(',') });
    }
    for (const change of describeChanges(before, after, () => this.diagnosis)) this.#log[change.level](change.fields, change.message);
    if (observations.some((o) => o.kind !== 'log')) this.#announce();
    if (before.state !== after.state) this.#onStateChange?.(before, after);
  }

  /** Logs each cause when it is first found (with its evidence and fix) and when it is gone. */
  #announce(): void {
    const diagnosis = this.diagnosis;
    const current = new Set(diagnosis.map((d) => d.cause));
    for (const d of diagnosis) {
      if (this.#announced.has(d.cause)) continue;
      const evidence = d.evidence[0] === undefined ? '' : ` (${d.evidence[0].text})`;
      this.#log.warn({ event: 'cause_found', cause: d.cause, domain: d.domain, confidence: d.confidence }, `cause found: ${d.title}${evidence}. ${d.remediation}`);
    }
    for (const cause of this.#announced) {
      if (!current.has(cause)) this.#log.info({ event: 'cause_gone', cause, domain: CAUSES[cause].domain }, `cause gone: ${CAUSES[cause].title}`);
    }
    this.#announced = current;
    this.#onDiagnosis?.(diagnosis);
  }

  #setRules(text: string, source: string, shape: ConfigShape): void {
    const parsed = readConfig(text, source, shape);
    if ('error' in parsed) {
      this.#log.error({ config_source: source }, `cannot read the ingress rules from ${source}: ${parsed.error}`);
      return;
    }
    this.#findings = insecureFindings(parsed.config);
    for (const [finding, count] of this.#findings) if (count > 0) this.#log.warn({ config_source: source, finding, count }, `insecure cloudflared config (${source}): ${finding.replace(/_/g, ' ')} in ${String(count)} place(s); see \`tunnelwatch validate\` for where and how to fix it`);
    const observation = this.origins.setRules(parsed.config.rules, source, this.#now());
    this.#log.info(
      { config_source: source, targets: this.origins.targets.length, skipped: this.origins.skipped.length },
      `probing ${String(this.origins.targets.length)} origins from ${source}${this.origins.skipped.length > 0 ? ` (${String(this.origins.skipped.length)} not probeable: ${this.origins.skipped.map((s) => `${s.key} ${s.reason}`).join('; ')})` : ''}`,
    );
    this.observe(observation);
    // New targets are probed now, not at the end of the current interval.
    if (this.#started) void this.runner.runOnce('origins');
  }
}
