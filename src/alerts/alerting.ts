// Built-in alerting wired together: the rules as configured, evaluated on a schedule, pushed to every
// Alertmanager, and exposed to /status, the status page and /metrics.
import { externalUrl, runbookBaseUrl, type Settings } from '../config/index.js';
import type { MetricSet } from '../telemetry/metrics/index.js';
import { AlertmanagerClient } from './alertmanager.js';
import { AlertEngine, type FiringAlert, type LogFn, type PendingAlert } from './engine.js';
import { alertMetrics } from './metrics.js';
import { effectiveRules } from './overrides.js';
import type { AlertInputs } from './rules.js';
import { every } from './scheduler.js';

export interface AlertingOptions {
  readonly settings: Pick<Settings, 'alerts' | 'server'>;
  /** Gathers the rules' inputs; called once per evaluation. */
  readonly inputs: () => AlertInputs;
  readonly log: LogFn;
  /** Wall clock in Unix ms (tests pass a fake one). */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

export interface Alerting {
  firing(): FiringAlert[];
  pending(): PendingAlert[];
  readonly metrics: MetricSet;
  /** Stops evaluating and waits for requests to Alertmanager in flight. */
  stop(): Promise<void>;
}

/** Evaluates once right away (Watchdog fires from the start), then every alerts.evaluationInterval. */
export function startAlerting(options: AlertingOptions): Alerting {
  const { alerts } = options.settings;
  const now = options.now ?? Date.now;
  const rules = effectiveRules(alerts.rules);
  const engine = new AlertEngine({ rules, runbookBaseUrl: runbookBaseUrl(options.settings), log: options.log });
  const client = new AlertmanagerClient({
    urls: alerts.alertmanagers,
    resendIntervalMs: alerts.resendInterval,
    evaluationIntervalMs: alerts.evaluationInterval,
    generatorUrl: `${externalUrl(options.settings)}/status`,
    log: options.log,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });

  const tick = (): void => {
    const at = now();
    // Sending never holds up the next evaluation: the client skips an Alertmanager still busy with the last batch.
    client.dispatch(engine.evaluate(options.inputs(), at), at);
  };
  try {
    tick();
  } catch (error) {
    options.log('error', { error: error instanceof Error ? error.message : String(error) }, `alert evaluation failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const schedule = every(alerts.evaluationInterval, tick, options.log);
  options.log('info', { evaluationIntervalMs: alerts.evaluationInterval, timer: schedule.kind, alertmanagers: client.names() }, 'alerting started');

  return {
    firing: () => engine.firing(),
    pending: () => engine.pending(),
    metrics: alertMetrics({ rules, firing: () => engine.firing(), notifications: () => client.counts() }),
    async stop() {
      await schedule.stop();
      await client.idle();
    },
  };
}
