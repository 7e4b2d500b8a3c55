// The checks through the tunnel as metrics, blackbox_exporter style: one series per configured URL (bounded by
// endToEnd.urls) for success, duration and status, and the verdict of who answered as an enum.
import { tunnelVerdict, type TunnelCheckView, type TunnelVerdict } from '../diagnosis/index.js';
import { computedGauge, type MetricSet } from '../telemetry/metrics/index.js';

const VERDICTS: readonly TunnelVerdict[] = ['served', 'no_connector', 'origin_error', 'not_serving', 'edge_error'];

export function tunnelCheckMetrics(checks: () => readonly TunnelCheckView[]): MetricSet {
  return (registry) => {
    computedGauge(registry, {
      name: 'tunnelwatch_end_to_end_success',
      help: 'Whether the last request through the tunnel to each endToEnd.urls entry was answered by the origin (1), whatever its status, or stopped at Cloudflare or the connector (0).',
      labelNames: ['url'],
      read: () => checks().map((c) => ({ labels: { url: c.url }, value: tunnelVerdict(c) === 'served' ? 1 : 0 })),
    });
    computedGauge(registry, {
      name: 'tunnelwatch_end_to_end_duration_seconds',
      help: 'How long the last request through the tunnel took, answer or not.',
      labelNames: ['url'],
      read: () => checks().map((c) => ({ labels: { url: c.url }, value: c.durationMs / 1000 })),
    });
    computedGauge(registry, {
      name: 'tunnelwatch_end_to_end_status_code',
      help: 'HTTP status of the last request through the tunnel; no series when nothing answered.',
      labelNames: ['url'],
      read: () => checks().flatMap((c) => (c.status === undefined ? [] : [{ labels: { url: c.url }, value: c.status }])),
    });
    computedGauge(registry, {
      name: 'tunnelwatch_end_to_end_verdict',
      help: 'Who answered the last request through the tunnel (1 for the current verdict): served (the origin), no_connector (530/1033), origin_error (502/504 from Cloudflare), not_serving (524 or no answer), edge_error.',
      labelNames: ['url', 'verdict'],
      read: () => checks().flatMap((c) => VERDICTS.map((verdict) => ({ labels: { url: c.url, verdict }, value: tunnelVerdict(c) === verdict ? 1 : 0 }))),
    });
  };
}
