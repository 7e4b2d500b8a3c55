// The diagnosis as a metric: one series per cause in the catalogue, 1 while it applies. Bounded: causes and
// domains are constants (docs/runbooks/causes.md lists every value).
import type { Registry } from 'prom-client';
import { CAUSE_IDS, CAUSES, type Diagnosis } from '../../diagnosis/index.js';
import { computedGauge } from './computed-metric.js';
import type { MetricSet } from './metric-set.js';

export function diagnosisMetrics(diagnosis: () => readonly Diagnosis[]): MetricSet {
  return (registry: Registry) => {
    computedGauge(registry, {
      name: 'tunnelwatch_diagnosis',
      help: 'Why, as tunnelwatch diagnoses it: 1 for each cause that applies now, 0 for the others; /status has the evidence and the fix.',
      labelNames: ['domain', 'cause'],
      read: () => {
        const active = new Set(diagnosis().map((d) => d.cause));
        return CAUSE_IDS.map((cause) => ({ labels: { domain: CAUSES[cause].domain, cause }, value: active.has(cause) ? 1 : 0 }));
      },
    });
  };
}
