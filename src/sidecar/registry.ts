// The one registry `tunnelwatch run` serves: the health snapshot and the cloudflared re-export (built in),
// plus the pipeline and collector sets. docs/metrics.md is rendered from the same function with empty
// sources, so the reference lists exactly what a running sidecar serves.
import type { Registry } from 'prom-client';
import type { ConnectorMetrics } from '../cloudflared/metrics/index.js';
import { collectorMetrics, type CollectorStats, tunnelCheckMetrics } from '../collectors/index.js';
import type { Diagnosis, TunnelCheckView } from '../diagnosis/index.js';
import type { EdgeReachReport, ProbeResult } from '../probers/index.js';
import type { HealthSnapshot } from '../state/index.js';
import type { RecordLabels } from '../telemetry/logs/index.js';
import { buildRegistry, diagnosisMetrics, type MetricSet, PipelineMetrics, renderMetricsDoc } from '../telemetry/metrics/index.js';
import { alertMetrics, effectiveRules } from '../alerts/index.js';
import { incidentMetrics } from '../incidents/index.js';
import { fenceMetrics } from './fencing.js';
import { VERSION } from '../base/index.js';
import { RESTART_REASONS } from '../supervisor/index.js';

/** What the registry reads at scrape time (the HealthWatch provides all of it). */
export interface HealthSources {
  readonly snapshot: HealthSnapshot;
  readonly connectorMetrics: ConnectorMetrics | undefined;
  readonly runner: { readonly stats: ReadonlyMap<string, CollectorStats> };
  readonly origins: { readonly results: ReadonlyMap<string, ProbeResult> };
  readonly edge: { readonly effectiveIntervalSeconds: number } | undefined;
  readonly edgeReach: { readonly report: EdgeReachReport | undefined } | undefined;
  readonly tunnelChecks: { readonly checks: readonly TunnelCheckView[] } | undefined;
  readonly configFindings: ReadonlyMap<string, number> | undefined;
  readonly diagnosis: readonly Diagnosis[];
}

/** `sets`: the metric sets of the parts wired around the health watch (alerts, incident bundles, fencing). */
export function sidecarRegistry(health: HealthSources, pipeline: PipelineMetrics, labels: Readonly<RecordLabels>, sets: readonly MetricSet[]): Registry {
  return buildRegistry(
    {
      snapshot: () => health.snapshot,
      connectorMetrics: () => health.connectorMetrics,
      identity: { ...(labels.replica === undefined ? {} : { replica: labels.replica }), ...(labels.zone === undefined ? {} : { zone: labels.zone }) },
      build: { version: VERSION, nodeVersion: process.version },
    },
    [
      pipeline.set,
      collectorMetrics({
        stats: () => health.runner.stats,
        probes: () => health.origins.results,
        edgeIntervalSeconds: () => health.edge?.effectiveIntervalSeconds,
        edgeReach: () => health.edgeReach?.report,
        configFindings: () => health.configFindings,
      }),
      tunnelCheckMetrics(() => health.tunnelChecks?.checks ?? []),
      diagnosisMetrics(() => health.diagnosis),
      ...sets,
    ],
  );
}

const EMPTY_SNAPSHOT: HealthSnapshot = {
  at: 0,
  state: 'unknown',
  since: 0,
  reasons: [],
  expectedConnections: 0,
  registeredConnections: 0,
  connections: [],
  process: { phase: 'unknown' },
  views: {},
  origins: [],
  edge: { status: 'unknown', configured: false, connectors: [] },
  transitions: [],
};

/** docs/metrics.md: every metric a running sidecar defines (values do not matter, only definitions). */
export function renderFullMetricsDoc(): string {
  const pipeline = new PipelineMetrics({
    counters: { records: 0, bySource: { cloudflared: 0, tunnelwatch: 0 }, stdoutWritten: 0, stdoutDropped: 0, sinkErrors: {} },
    sinks: [],
    connectorUp: () => false,
    breakerOpen: () => false,
    restartReasons: RESTART_REASONS,
  });
  const health: HealthSources = { snapshot: EMPTY_SNAPSHOT, connectorMetrics: undefined, runner: { stats: new Map() }, origins: { results: new Map() }, edge: undefined, edgeReach: undefined, tunnelChecks: undefined, configFindings: undefined, diagnosis: [] };
  const alerts = alertMetrics({ rules: effectiveRules([]), firing: () => [], notifications: () => [] });
  return renderMetricsDoc(sidecarRegistry(health, pipeline, {}, [alerts, incidentMetrics(() => 0), fenceMetrics(() => false, () => ({ fence: 0, unfence: 0 }))]));
}
