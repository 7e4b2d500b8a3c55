// Alert metrics: which built-in alerts fire now, and what each Alertmanager accepted. Read at scrape time.
import type { Registry } from 'prom-client';
import { computedCounter, computedGauge, type MetricSet, type Series } from '../telemetry/metrics/index.js';
import type { Outcome } from './alertmanager.js';
import type { FiringAlert } from './engine.js';
import type { EffectiveRule } from './overrides.js';

export interface AlertMetricSources {
  readonly rules: readonly EffectiveRule[];
  firing(): readonly FiringAlert[];
  notifications(): readonly { alertmanager: string; outcome: Outcome; value: number }[];
}

export function alertMetrics(sources: AlertMetricSources): MetricSet {
  // Alerts only Prometheus evaluates are left out: a constant 0 would claim they are not firing.
  const defined = sources.rules.filter((r) => r.definition.engine === 'both');
  return (registry: Registry) => {
    computedGauge(registry, {
      name: 'tunnelwatch_alerts_firing',
      help: 'Whether a built-in alert fires now (1) or not (0), for every alert the built-in engine evaluates; disabled alerts stay 0.',
      labelNames: ['alertname', 'severity'],
      read: (): Series<'alertname' | 'severity'>[] => {
        const firing = new Set(sources.firing().map((f) => `${f.alertname}/${f.severity}`));
        return defined.map((r) => ({
          labels: { alertname: r.definition.alert, severity: r.severity },
          value: firing.has(`${r.definition.alert}/${r.severity}`) ? 1 : 0,
        }));
      },
    });
    computedCounter(registry, {
      name: 'tunnelwatch_alertmanager_notifications_total',
      help: 'Alerts sent to each Alertmanager, by outcome: success, rejected (HTTP 4xx) or error (HTTP 5xx, timeout, network); failed ones are sent again.',
      labelNames: ['alertmanager', 'outcome'],
      read: () => sources.notifications().map((n) => ({ labels: { alertmanager: n.alertmanager, outcome: n.outcome }, value: n.value })),
    });
  };
}
