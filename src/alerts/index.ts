// The public face of src/alerts/: what the rest of tunnelwatch may use from it.
export { startAlerting, type Alerting } from './alerting.js';
export type { FiringAlert, PendingAlert } from './engine.js';
export { alertMetrics } from './metrics.js';
export { effectiveRules } from './overrides.js';
export type { AlertInputs } from './rules.js';
export { renderPrometheusRule, withGroupLabels, withoutWatchdog, withRunbookBase } from './rule-file.js';
