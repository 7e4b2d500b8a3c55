// Metrics of the process view and the log pipeline: is the connector process up, why it restarted, how many
// lines came in, how far each sink is behind, and every record that was retried, quarantined or dropped.
// Counts live in plain objects updated on the hot path; the registry reads them at scrape time.
import { Gauge, type Registry } from 'prom-client';
import { computedCounter, computedGauge, single, type Series } from './computed-metric.js';
import { LEVEL_NAME, type PipelineCounters } from '../logs/index.js';
import type { MetricSet } from './metric-set.js';
import type { ShippingSource, SpoolStats } from '../sinks/index.js';

export interface PipelineMetricSources {
  readonly counters: PipelineCounters;
  readonly sinks: readonly ShippingSource[];
  /** True while a cloudflared child process is alive. */
  connectorUp(): boolean;
  /** True while the crash-loop breaker is open. */
  breakerOpen(): boolean;
  /** Every reason a restart can have (the supervisor's list), each exported from zero. */
  readonly restartReasons: readonly string[];
  /** Spool drops, counted from before the metrics exist (a spool finds unreadable lines as it opens). */
  readonly spoolDrops?: SpoolDrops;
}

type Labels = Record<string, string>;

/** Counts by label set, kept as numbers until a scrape reads them. */
class Tally {
  readonly #counts = new Map<string, { labels: Labels; value: number }>();

  add(labels: Labels, n = 1): void {
    const key = JSON.stringify(labels);
    const entry = this.#counts.get(key);
    if (entry === undefined) this.#counts.set(key, { labels, value: n });
    else entry.value += n;
  }

  series<L extends string>(): Series<L>[] {
    return [...this.#counts.values()] as Series<L>[];
  }
}

/** Records a spool dropped: over its size bound (overflow) or unreadable after a crash (corrupt), by level ('' unknown). */
export class SpoolDrops extends Tally {
  dropped(sink: string, count: number, reason: 'overflow' | 'corrupt', level = ''): void {
    this.add(level === '' ? { sink, reason } : { sink, reason, level }, count);
  }
}

export class PipelineMetrics {
  readonly #restarts = new Tally();
  readonly #lines = new Tally();
  readonly #parsed = new Tally();
  readonly #dropped: SpoolDrops;
  #truncated = 0;
  /** By output (stdout, each sink's name). */
  readonly #collapsed = new Map<string, number>();
  #mended = 0;
  readonly #sources: PipelineMetricSources;

  constructor(sources: PipelineMetricSources) {
    this.#sources = sources;
    // Every series exists from the start at 0, so Prometheus sees the first restart or drop as an increase.
    for (const reason of sources.restartReasons) this.#restarts.add({ reason }, 0);
    for (const output of ['stdout', ...sources.sinks.map((sink) => sink.name)]) this.#collapsed.set(output, 0);
    this.#dropped = sources.spoolDrops ?? new SpoolDrops();
    for (const sink of sources.sinks) {
      for (const level of Object.values(LEVEL_NAME)) this.#dropped.add({ sink: sink.name, reason: 'overflow', level }, 0);
      this.#dropped.add({ sink: sink.name, reason: 'corrupt' }, 0);
    }
  }

  restarted(reason: string): void {
    this.#restarts.add({ reason });
  }

  /** Records lost in every sink so far (spool bounds, unreadable spool lines, failed writes, slow stdout). */
  droppedTotal(): number {
    const c = this.#sources.counters;
    const quarantineFull = this.#sources.sinks.reduce((n, k) => n + (k.shipperStats.quarantineDropped ?? 0), 0);
    return this.#dropped.series().reduce((n, s) => n + s.value, 0) + c.stdoutDropped + Object.values(c.sinkErrors).reduce((n, v) => n + v, 0) + quarantineFull;
  }

  lineRead(stream: 'stdout' | 'stderr', truncated: boolean): void {
    this.#lines.add({ stream });
    if (truncated) this.#truncated++;
  }

  /** One event parsed from a line (or from pieces of torn lines put back together: `mended`). */
  lineParsed(format: string, mended: boolean): void {
    this.#parsed.add({ format });
    if (mended) this.#mended++;
  }

  /** A cloudflared line repeated within `output`'s repeat window: counted in a summary record there instead of shipped. */
  lineCollapsed(output: string): void {
    this.#collapsed.set(output, (this.#collapsed.get(output) ?? 0) + 1);
  }

  readonly set: MetricSet = (registry: Registry) => {
    const s = this.#sources;
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Iterable<Series<L>>): void => {
      computedCounter(registry, { name: `tunnelwatch_${name}`, help, labelNames, read });
    };
    computedGauge(registry, { name: 'tunnelwatch_connector_up', help: 'Whether a cloudflared process is running under tunnelwatch (1) or not (0).', read: () => single(s.connectorUp() ? 1 : 0) });
    computedGauge(registry, {
      name: 'tunnelwatch_connector_crash_loop',
      help: 'Whether the crash-loop breaker is open and tunnelwatch has stopped restarting cloudflared (1) or not (0).',
      read: () => single(s.breakerOpen() ? 1 : 0),
    });
    counter('connector_restarts_total', 'cloudflared restarts by why the previous process ended (exit, signal, hang, disconnected_too_long, restore_quic, start_failed).', ['reason'], () => this.#restarts.series());
    counter('log_lines_read_total', 'Lines read from cloudflared, by output stream.', ['stream'], () => this.#lines.series());
    counter('log_lines_parsed_total', 'cloudflared lines parsed, by the format recognised (json, console, plain, empty).', ['format'], () => this.#parsed.series());
    counter('log_lines_collapsed_total', 'cloudflared lines not shipped on their own because they repeated within the repeat window (logs.repeats, or the sink\'s own), by output (stdout, loki, syslog); each is counted in a summary record (repeated=N) on that output.', ['sink'], () =>
      [...this.#collapsed].map(([sink, value]) => ({ labels: { sink }, value })),
    );
    counter('log_lines_mended_total', 'cloudflared JSON events put back together from lines that concurrent writes tore apart (its --output json writer is not atomic).', [], () => single(this.#mended));
    counter('log_lines_truncated_total', 'cloudflared lines cut at supervisor.maxLineBytes.', [], () => single(this.#truncated));
    counter('log_records_total', 'Records that entered the log pipeline, by source (cloudflared, tunnelwatch).', ['source'], () =>
      (['cloudflared', 'tunnelwatch'] as const).map((source) => ({ labels: { source }, value: s.counters.bySource[source] })),
    );
    counter('log_records_shipped_total', 'Records delivered, by sink (stdout, loki, syslog); loki and syslog count only acknowledged deliveries.', ['sink'], () => [
      { labels: { sink: 'stdout' }, value: s.counters.stdoutWritten },
      ...s.sinks.map((k) => ({ labels: { sink: k.name }, value: k.shipperStats.shipped })),
    ]);
    counter('log_ship_retries_total', 'Deliveries retried after a 429, a 5xx, a timeout or a network error, by sink.', ['sink'], () =>
      s.sinks.map((k) => ({ labels: { sink: k.name }, value: k.shipperStats.retries })),
    );
    counter('log_ship_rate_limited_total', 'Pushes the receiver refused for its ingestion rate (a Loki 429 rate limit), by sink; each is also a retry, and shrinks the pushes.', ['sink'], () =>
      s.sinks.flatMap((k) => (k.shipperStats.rateLimited === undefined ? [] : [{ labels: { sink: k.name }, value: k.shipperStats.rateLimited }])),
    );
    computedGauge(registry, {
      name: 'tunnelwatch_log_ship_push_max_bytes',
      help: 'Bytes of lines the next push of a sink may carry: its batch bound (logs.loki.batchMaxBytes), or less while the receiver rate-limits.',
      labelNames: ['sink'],
      read: () => s.sinks.flatMap((k) => (k.shipperStats.pushMaxBytes === undefined ? [] : [{ labels: { sink: k.name }, value: k.shipperStats.pushMaxBytes }])),
    });
    counter('log_records_quarantined_total', 'Records the receiver rejected as invalid (a 4xx other than 429), set aside in the quarantine file, by sink.', ['sink'], () =>
      s.sinks.map((k) => ({ labels: { sink: k.name }, value: k.shipperStats.quarantined ?? 0 })),
    );
    counter(
      'log_records_dropped_total',
      'Records lost for a sink: spool over logs.spoolMaxBytes (overflow, by the records\' level; a full spool drops repeats, then debug and info, then warnings and errors, the start-up and each first error last), unreadable spool lines (corrupt), a failed spool write (spool_error), stdout too slow (backpressure), rejected by the receiver with its quarantine file full (quarantine_full).',
      ['sink', 'reason', 'level'],
      () => [
        ...this.#dropped.series<'sink' | 'reason' | 'level'>(),
        { labels: { sink: 'stdout', reason: 'backpressure' }, value: s.counters.stdoutDropped },
        ...s.sinks.map((k) => ({ labels: { sink: k.name, reason: 'spool_error' }, value: s.counters.sinkErrors[k.name] ?? 0 })),
        ...s.sinks.flatMap((k) => (k.shipperStats.quarantineDropped === undefined ? [] : [{ labels: { sink: k.name, reason: 'quarantine_full' }, value: k.shipperStats.quarantineDropped }])),
      ],
    );
    // Spool figures need the spool's lock, so these two read asynchronously on scrape.
    const spools = (): Promise<[string, SpoolStats][]> => Promise.all(s.sinks.map(async (k): Promise<[string, SpoolStats]> => [k.name, await k.stats()]));
    new Gauge({
      name: 'tunnelwatch_log_spool_bytes',
      help: 'Bytes waiting in the on-disk spool of a sink.',
      labelNames: ['sink'],
      registers: [registry],
      async collect() {
        for (const [sink, st] of await spools()) this.set({ sink }, st.bytes);
      },
    });
    new Gauge({
      name: 'tunnelwatch_log_spool_oldest_age_seconds',
      help: 'Age of the oldest record not yet delivered by a sink (0 when its spool is empty).',
      labelNames: ['sink'],
      registers: [registry],
      async collect() {
        for (const [sink, st] of await spools()) this.set({ sink }, st.oldestAgeMs / 1000);
      },
    });
  };
}
