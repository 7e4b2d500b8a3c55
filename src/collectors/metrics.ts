// Metrics about the watching itself, node_exporter style (every collector's last duration and success), and
// the probe details the health snapshot does not carry: probe phases, HTTP status, certificate expiry, and
// the edge poll interval as stretched by the API budget.
import type { CollectorStats } from './runner.js';
import type { EdgeReachReport, ProbeResult } from '../probers/index.js';
import { computedCounter, computedGauge, type MetricSet, type Series, single } from '../telemetry/metrics/index.js';

export interface CollectorMetricSources {
  stats(): ReadonlyMap<string, CollectorStats>;
  /** Newest probe result per origin key. */
  probes(): ReadonlyMap<string, ProbeResult>;
  /** Seconds between edge polls right now; undefined when the edge view is off. */
  edgeIntervalSeconds(): number | undefined;
  /** The newest edge reachability report; undefined when off or not run yet. */
  edgeReach(): EdgeReachReport | undefined;
  /** Insecure settings of the current cloudflared config by finding; undefined before a config was read. */
  configFindings(): ReadonlyMap<string, number> | undefined;
}

const PHASES = [
  ['dns', 'dnsMs'],
  ['connect', 'connectMs'],
  ['tls', 'tlsMs'],
  ['first_byte', 'firstByteMs'],
] as const;

function* perCollector<L extends string>(sources: CollectorMetricSources, value: (s: CollectorStats) => number): Iterable<Series<L>> {
  for (const s of sources.stats().values()) yield { labels: { collector: s.name }, value: value(s) } as Series<L>;
}

export function collectorMetrics(sources: CollectorMetricSources): MetricSet {
  return (registry) => {
    computedGauge(registry, {
      name: 'tunnelwatch_collector_duration_seconds',
      help: 'How long the last run of each collector took.',
      labelNames: ['collector'],
      read: () => perCollector(sources, (s) => s.lastDurationSeconds),
    });
    computedGauge(registry, {
      name: 'tunnelwatch_collector_success',
      help: 'Whether the last run of each collector finished in time without an error (1) or not (0).',
      labelNames: ['collector'],
      read: () => perCollector(sources, (s) => (s.lastSuccess ? 1 : 0)),
    });
    computedCounter(registry, { name: 'tunnelwatch_collector_runs_total', help: 'Runs of each collector.', labelNames: ['collector'], read: () => perCollector(sources, (s) => s.runs) });
    computedCounter(registry, {
      name: 'tunnelwatch_collector_failures_total',
      help: 'Runs of each collector that threw or missed their deadline.',
      labelNames: ['collector'],
      read: () => perCollector(sources, (s) => s.failures),
    });
    computedGauge(registry, {
      name: 'tunnelwatch_edge_poll_interval_seconds',
      help: 'Seconds between Cloudflare API polls now: edge.pollInterval, stretched while the API budget (edge.budgetShare) is short.',
      read: () => single(sources.edgeIntervalSeconds()),
    });
    computedGauge(registry, {
      name: 'tunnelwatch_config_insecure',
      help: 'Insecure settings in the cloudflared config in force, by finding (no_tls_verify, access_not_enforced, access_not_required, plaintext_origin, secret_in_file); no series before a config was read.',
      labelNames: ['finding'],
      read: function* () {
        for (const [finding, count] of sources.configFindings() ?? []) yield { labels: { finding }, value: count };
      },
    });
    computedGauge(registry, {
      name: 'tunnelwatch_edge_reachable',
      help: 'Whether a check of the path to the Cloudflare edge succeeded (1) or failed (0), by check (dns_srv, dns_a, dns_aaaa, tcp, udp) and target (name, or address:port); a UDP check without an answer proves nothing and has no series.',
      labelNames: ['check', 'target'],
      read: function* () {
        for (const c of sources.edgeReach()?.checks ?? []) {
          if (c.status === 'unverified') continue;
          const target = c.address === undefined ? c.target : `${c.address.includes(':') ? `[${c.address}]` : c.address}:${String(c.port ?? '')}`;
          yield { labels: { check: c.check, target }, value: c.status === 'reachable' ? 1 : 0 };
        }
      },
    });
    computedGauge(registry, {
      name: 'tunnelwatch_origin_probe_phase_seconds',
      help: 'Duration of each phase (dns, connect, tls, first_byte) of the last probe of an origin; phases not reached have no series.',
      labelNames: ['origin', 'phase'],
      read: function* () {
        for (const [origin, r] of sources.probes()) {
          for (const [phase, field] of PHASES) {
            const ms = r.phases[field];
            if (ms !== undefined) yield { labels: { origin, phase }, value: ms / 1000 };
          }
        }
      },
    });
    computedGauge(registry, {
      name: 'tunnelwatch_origin_http_status',
      help: 'HTTP status of the last probe of an HTTP origin.',
      labelNames: ['origin'],
      read: function* () {
        for (const [origin, r] of sources.probes()) if (r.status !== undefined) yield { labels: { origin }, value: r.status };
      },
    });
    computedGauge(registry, {
      name: 'tunnelwatch_origin_tls_cert_not_after_timestamp_seconds',
      help: "Expiry of the origin's TLS leaf certificate as seen by the last probe (Unix seconds).",
      labelNames: ['origin'],
      read: function* () {
        for (const [origin, r] of sources.probes()) if (r.tlsNotAfter !== undefined) yield { labels: { origin }, value: r.tlsNotAfter / 1000 };
      },
    });
  };
}
