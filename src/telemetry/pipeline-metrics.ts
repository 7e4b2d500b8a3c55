// Metrics of the process view and the log pipeline: is the connector process up, why it restarted, how many
// lines came in, how far each sink is behind, and every record that was retried, quarantined or dropped.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RestartReason } from '../supervisor/restart-policy.js';
import type { PipelineCounters } from './log-pipeline.js';
import type { SpoolStats } from './spool.js';

/** A sink that ships from a spool (Loki, syslog). Its stats are cumulative. */
export interface ShippingSource {
  readonly name: string;
  stats(): Promise<SpoolStats>;
  readonly shipperStats: { readonly shipped: number; readonly retries: number; readonly quarantined?: number };
}

export interface PipelineMetricSources {
  readonly counters: PipelineCounters;
  readonly sinks: readonly ShippingSource[];
  /** 1 while a cloudflared child process is alive. */
  connectorUp(): boolean;
  /** 1 while the crash-loop breaker is open. */
  breakerOpen(): boolean;
}

/** Adds a cumulative value to a counter as the difference from the last scrape (prom-client counters cannot be set). */
function follow(counter: Counter, labels: Record<string, string>, last: Map<string, number>, value: number): void {
  const key = JSON.stringify(labels);
  const delta = value - (last.get(key) ?? 0);
  if (delta > 0) counter.inc(labels, delta);
  last.set(key, Math.max(value, last.get(key) ?? 0));
}

export class PipelineMetrics {
  readonly #restarts: Counter<'reason'>;
  readonly #lines: Counter<'stream'>;
  readonly #truncated: Counter;
  readonly #parsed: Counter<'format'>;
  readonly #dropped: Counter<'sink' | 'reason'>;

  constructor(registry: Registry, sources: PipelineMetricSources) {
    const registers = [registry];
    new Gauge({
      name: 'tunnelwatch_connector_up',
      help: 'Whether a cloudflared process is running under tunnelwatch (1) or not (0).',
      registers,
      collect() {
        this.set(sources.connectorUp() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tunnelwatch_connector_crash_loop',
      help: 'Whether the crash-loop breaker is open and tunnelwatch has stopped restarting cloudflared (1) or not (0).',
      registers,
      collect() {
        this.set(sources.breakerOpen() ? 1 : 0);
      },
    });
    this.#restarts = new Counter({
      name: 'tunnelwatch_connector_restarts_total',
      help: 'cloudflared restarts by the reason its previous process ended (exit, signal, hang, disconnected_too_long, start_failed).',
      labelNames: ['reason'],
      registers,
    });
    this.#lines = new Counter({ name: 'tunnelwatch_log_lines_read_total', help: 'Lines read from cloudflared by output stream.', labelNames: ['stream'], registers });
    this.#truncated = new Counter({ name: 'tunnelwatch_log_lines_truncated_total', help: 'cloudflared lines cut at supervisor.maxLineBytes.', registers });
    this.#parsed = new Counter({
      name: 'tunnelwatch_log_lines_parsed_total',
      help: 'cloudflared lines parsed, by the format recognised (json, console, plain, empty).',
      labelNames: ['format'],
      registers,
    });
    this.#dropped = new Counter({
      name: 'tunnelwatch_log_records_dropped_total',
      help: 'Records lost for a sink: spool over logs.spoolMaxBytes (overflow), unreadable spool lines (corrupt), a failed spool write (spool_error), stdout too slow (backpressure).',
      labelNames: ['sink', 'reason'],
      registers,
    });
    const dropped = this.#dropped;
    const last = { records: new Map<string, number>(), shipped: new Map<string, number>(), retries: new Map<string, number>(), quarantined: new Map<string, number>(), dropped: new Map<string, number>() };
    new Counter({
      name: 'tunnelwatch_log_records_total',
      help: 'Records that entered the log pipeline, by source (cloudflared, tunnelwatch).',
      labelNames: ['source'],
      registers,
      collect() {
        for (const source of ['cloudflared', 'tunnelwatch'] as const) follow(this, { source }, last.records, sources.counters.bySource[source]);
        follow(dropped, { sink: 'stdout', reason: 'backpressure' }, last.dropped, sources.counters.stdoutDropped);
        for (const [sink, n] of Object.entries(sources.counters.sinkErrors)) follow(dropped, { sink, reason: 'spool_error' }, last.dropped, n);
      },
    });
    new Counter({
      name: 'tunnelwatch_log_records_shipped_total',
      help: 'Records delivered, by sink (stdout, loki, syslog); loki and syslog count only acknowledged deliveries.',
      labelNames: ['sink'],
      registers,
      collect() {
        follow(this, { sink: 'stdout' }, last.shipped, sources.counters.stdoutWritten);
        for (const s of sources.sinks) follow(this, { sink: s.name }, last.shipped, s.shipperStats.shipped);
      },
    });
    new Counter({
      name: 'tunnelwatch_log_ship_retries_total',
      help: 'Deliveries retried after a 429, a 5xx, a timeout or a network error, by sink.',
      labelNames: ['sink'],
      registers,
      collect() {
        for (const s of sources.sinks) follow(this, { sink: s.name }, last.retries, s.shipperStats.retries);
      },
    });
    new Counter({
      name: 'tunnelwatch_log_records_quarantined_total',
      help: 'Records the receiver rejected as invalid (a 4xx other than 429), set aside in the quarantine file, by sink.',
      labelNames: ['sink'],
      registers,
      collect() {
        for (const s of sources.sinks) follow(this, { sink: s.name }, last.quarantined, s.shipperStats.quarantined ?? 0);
      },
    });
    const spools = async (): Promise<[string, SpoolStats][]> => Promise.all(sources.sinks.map(async (s): Promise<[string, SpoolStats]> => [s.name, await s.stats()]));
    new Gauge({
      name: 'tunnelwatch_log_spool_bytes',
      help: 'Bytes waiting in the on-disk spool of a sink.',
      labelNames: ['sink'],
      registers,
      async collect() {
        for (const [sink, st] of await spools()) this.set({ sink }, st.bytes);
      },
    });
    new Gauge({
      name: 'tunnelwatch_log_spool_oldest_age_seconds',
      help: 'Age of the oldest record not yet delivered by a sink (0 when its spool is empty).',
      labelNames: ['sink'],
      registers,
      async collect() {
        for (const [sink, st] of await spools()) this.set({ sink }, st.oldestAgeMs / 1000);
      },
    });
  }

  restarted(reason: RestartReason): void {
    this.#restarts.inc({ reason: reason.kind });
  }

  /** A spool dropped records: over its size bound (overflow) or unreadable after a crash (corrupt). */
  spoolDropped(sink: string, count: number, reason: 'overflow' | 'corrupt'): void {
    this.#dropped.inc({ sink, reason }, count);
  }

  lineRead(stream: 'stdout' | 'stderr', format: string, truncated: boolean): void {
    this.#lines.inc({ stream });
    this.#parsed.inc({ format });
    if (truncated) this.#truncated.inc();
  }
}
