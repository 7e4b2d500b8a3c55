// Incident bundles written, as a counter by trigger.
import { computedCounter, type MetricSet } from '../telemetry/metrics/index.js';

export const INCIDENT_TRIGGERS = ['down', 'on_demand'] as const;
export type IncidentTrigger = (typeof INCIDENT_TRIGGERS)[number];

export function incidentMetrics(written: (trigger: IncidentTrigger) => number): MetricSet {
  return (registry) => {
    computedCounter(registry, {
      name: 'tunnelwatch_incident_bundles_total',
      help: 'Incident bundles written, by trigger: down (the connector state turned down) or on_demand (POST /incidents, `tunnelwatch incident`).',
      labelNames: ['trigger'],
      read: () => INCIDENT_TRIGGERS.map((trigger) => ({ labels: { trigger }, value: written(trigger) })),
    });
  };
}
