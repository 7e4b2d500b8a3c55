// The public face of src/telemetry/metrics/: what the rest of tunnelwatch may use from it.
export { computedCounter, computedGauge, single, type Series } from './computed-metric.js';
export type { MetricSet } from './metric-set.js';
export { renderMetricsDoc } from './metrics-doc.js';
export { PipelineMetrics, SpoolDrops } from './pipeline-metrics.js';
export { buildRegistry } from './registry.js';
export { diagnosisMetrics } from './diagnosis-metrics.js';
