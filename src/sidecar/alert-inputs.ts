// What the built-in alert rules read, gathered from every part of `run` at evaluation time.
import type { AlertInputs } from '../alerts/index.js';
import { tunnelVerdict } from '../diagnosis/index.js';
import type { StoredBundle } from '../incidents/index.js';
import type { RecordLabels } from '../telemetry/logs/index.js';
import type { PipelineMetrics } from '../telemetry/metrics/index.js';
import type { FenceState } from './fencing.js';
import type { HealthWatch } from './health-watch.js';
import type { Logging } from './logging.js';
import type { Supervision } from './supervision.js';

/** What the alert rules read, gathered from every part at evaluation time. */
export function alertInputs(health: HealthWatch, metrics: PipelineMetrics, logging: Logging, supervision: Supervision, labels: RecordLabels, grouping: Readonly<Record<string, string>>, incident: StoredBundle | undefined, fence: FenceState): AlertInputs {
  const certificates = new Map<string, number>();
  for (const [key, result] of health.origins.results) if (result.tlsNotAfter !== undefined) certificates.set(key, result.tlsNotAfter);
  return {
    snapshot: health.snapshot,
    restarts: { recentTimestamps: supervision.restarts },
    breakerOpen: supervision.supervisor.state === 'breaker_open',
    spool: { oldestAgeSeconds: Math.max(0, ...logging.sinks.map((s) => s.shipperStats.lagSeconds)), dropped: metrics.droppedTotal() },
    certificates,
    configFindings: [...(health.configFindings ?? [])].filter(([, n]) => n > 0).map(([finding, n]) => `${finding} (${String(n)})`),
    identity: {
      ...(labels.tunnel_id === undefined ? {} : { tunnel_id: labels.tunnel_id }),
      ...(labels.replica === undefined ? {} : { replica: labels.replica }),
      ...(labels.zone === undefined ? {} : { zone: labels.zone }),
      ...(grouping.cluster === undefined ? {} : { cluster: grouping.cluster }),
      ...(grouping.namespace === undefined ? {} : { namespace: grouping.namespace }),
    },
    diagnosis: health.diagnosis,
    endToEnd: (health.tunnelChecks?.checks ?? []).map((c) => ({ url: c.url, served: tunnelVerdict(c) === 'served' })),
    ...(incident === undefined ? {} : { incident: { path: incident.path, at: incident.at } }),
    ...(fenceNote(fence, Date.now()) ?? {}),
  };
}

/** How long after an unfence the alerts still say it happened. */
const UNFENCE_NOTE_MS = 10 * 60_000;

/** The `fence` annotation of this replica's alerts: fenced now, or unfenced a short while ago. */
function fenceNote(fence: FenceState, now: number): { fence: string } | undefined {
  const at = fence.since === undefined ? '' : new Date(fence.since).toISOString();
  if (fence.fenced) return { fence: `fenced since ${at}: ${fence.why ?? ''}` };
  if (fence.since !== undefined && now - fence.since < UNFENCE_NOTE_MS) return { fence: `unfenced at ${at}: ${fence.why ?? ''}` };
  return undefined;
}
