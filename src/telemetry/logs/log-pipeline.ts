// Every record, tunnelwatch's own and cloudflared's, passes here: redacted once, serialised once (in logs.format),
// then made durable in each spooled sink (Loki, syslog) before it is written to stdout. "Durable before visible":
// any record a person saw on stdout survives a kill -9 of tunnelwatch and is shipped after the restart.
// Records are batched for at most `flushIntervalMs`, so one fsync serves many lines.
import { KEEP, keepByLevel, type KeepClass, StartupRecords } from './keep.js';
import { LineBytes } from './line-bytes.js';
import type { RecentLines } from './recent-lines.js';
import { levelName, type LogRecord } from './log-record.js';
import { pinoLine, type RecordSerialiser } from './record-format.js';
import type { Redactor } from './redact.js';

/** A sink behind a durable spool: append is synchronous and in memory, flush makes it durable (fsync). */
export interface SpooledSink {
  readonly name: string;
  /**
   * The record as the sink spools it (JSON), made when the record is written and kept encoded until the flush, so
   * the record's objects and strings die young instead of surviving scavenges in a backlog.
   */
  entry(record: LogRecord, line: string): string;
  /** Takes `entries` (lines of `entry`'s JSON); they stay valid until the following flush() has settled. */
  append(entries: LineBytes): void;
  flush(): Promise<void>;
}

/**
 * Where one record goes: stdout or not, and per sink (in `sinks`' order) the class its spool drops it by, or
 * undefined when that sink does not take it (each output collapses repeats by its own settings).
 */
export interface Route {
  readonly stdout: boolean;
  readonly sinks: readonly (KeepClass | undefined)[];
}

/** Where stdout lines go; a Writable fits. */
export interface LineOutput {
  write(chunk: string): boolean;
  readonly writableLength: number;
}

export interface PipelineOptions {
  readonly redactor: Redactor;
  /** A record to its line (logs.format); default pino's shape, the record as it is. */
  readonly serialise?: RecordSerialiser;
  readonly sinks: readonly SpooledSink[];
  /** Omit to write nothing to stdout (tests, benchmarks). */
  readonly stdout?: LineOutput;
  readonly flushIntervalMs?: number;
  /** stdout bytes allowed to wait in memory when the reader is slow; beyond it stdout lines are dropped and counted. */
  readonly stdoutMaxBufferBytes?: number;
  /** A sink failed to make a batch durable: those records are lost for that sink (stdout still gets them). */
  readonly onSinkError?: (sink: string, error: unknown, records: number) => void;
  /** Bytes of records waiting for the disk before the producer is asked to pause (default 4 MiB). */
  readonly maxQueuedBytes?: number;
  /**
   * Called with true when records arrive faster than the sinks make them durable (the producer should stop
   * reading cloudflared's pipes, which then fill and pause its logging, as a slow terminal would), and with
   * false once the backlog has halved. Memory stays bounded instead of growing with the burst.
   */
  readonly onPressure?: (saturated: boolean) => void;
  /** Keeps the newest records (redacted lines) for `recent()`, e.g. for incident bundles. */
  readonly recent?: RecentLines;
}

export interface PipelineCounters {
  records: number;
  bySource: { cloudflared: number; tunnelwatch: number };
  stdoutWritten: number;
  stdoutDropped: number;
  sinkErrors: Record<string, number>;
}

/** What was written since the last delivery took its batch: per sink its entries, and the lines for stdout. */
interface Batch {
  count: number;
  bytes: number;
  lines: string[];
  readonly entries: readonly LineBytes[];
}

/**
 * 4 MiB of records in flight keep a flood at the disk's pace with about 24 of LineBytes' chunks in use, all reused
 * from batch to batch; 8 MiB needed twice as many, the spare pool could not hold them all, and the fresh memory cost
 * both throughput and 30 MB of peak RSS in the pipeline benchmark.
 */
const DEFAULT_MAX_QUEUED_BYTES = 4 << 20;

export class LogPipeline {
  readonly counters: PipelineCounters = { records: 0, bySource: { cloudflared: 0, tunnelwatch: 0 }, stdoutWritten: 0, stdoutDropped: 0, sinkErrors: {} };
  readonly #o: PipelineOptions;
  readonly #serialise: RecordSerialiser;
  #batch: Batch;
  /** The batch delivered last, cleared: its memory takes the next one (deliveries never overlap, so two suffice). */
  #spare: Batch | undefined;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  /** A delivery chained behind the running one and not started: it takes everything written until it starts. */
  #next: Promise<void> | undefined;
  #closed = false;
  /** Bytes written and not yet through a flush. */
  #queuedBytes = 0;
  #saturated = false;
  /** tunnelwatch's own start-up records (its version, settings, what it starts) are kept longest in a full spool. */
  readonly #ownStartup = new StartupRecords();
  /** By keep class: to stdout and every sink. */
  readonly #everywhere: readonly Route[];

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#ownStartup.begin();
    this.#serialise = options.serialise ?? pinoLine;
    this.#everywhere = Object.values(KEEP).map((keep) => ({ stdout: true, sinks: options.sinks.map(() => keep) }));
    this.#batch = this.#newBatch();
  }

  /**
   * Queues one record (redacted here, then formatted); it reaches the sinks and stdout on the next flush. `to`: the
   * outputs that take it, or for all of them the class a full spool drops it by (default: tunnelwatch's start-up
   * records essential, the rest by level).
   */
  write(record: LogRecord, to?: KeepClass | Route): void {
    if (this.#closed) return;
    const route = typeof to === 'object' ? to : this.#everywhere[to ?? this.#ownKeep(record)];
    if (route === undefined) return;
    let clean = record;
    // The check reads the formatted line, which holds every string of the record; the redaction itself works on
    // the record, so a secret is masked before any format moves it.
    let line = this.#serialise(record);
    if (this.#o.redactor.mayNeed(line)) {
      clean = this.#o.redactor.value(record);
      line = this.#serialise(clean);
    }
    const batch = this.#batch;
    batch.count++;
    batch.bytes += line.length;
    if (this.#o.stdout !== undefined && route.stdout) batch.lines.push(line);
    for (const [i, sink] of this.#o.sinks.entries()) {
      const keep = route.sinks[i];
      if (keep === undefined) continue;
      try {
        batch.entries[i]?.push(sink.entry(clean, line), keep, levelName(clean.level));
      } catch (error) {
        // The record is lost for this sink only (stdout and the other sinks still get it).
        this.#sinkError(sink.name, error, 1);
      }
    }
    this.#o.recent?.add(line);
    this.counters.records++;
    this.counters.bySource[clean.source]++;
    this.#queuedBytes += line.length;
    const max = this.#o.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    if (!this.#saturated && this.#queuedBytes > max) {
      this.#saturated = true;
      this.#o.onPressure?.(true);
    }
    // A burst is written in chunks of at least a quarter of the bound rather than one batch per interval.
    if (batch.count > 1 && batch.bytes > max / 4) {
      void this.flush();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#o.flushIntervalMs ?? 100);
  }

  /**
   * Makes everything queued so far durable in every sink, then writes it to stdout. Serialised; while a delivery
   * runs, what is written meanwhile waits for it and then goes as one batch (one fsync), however many flushes asked.
   */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#next ??= this.#flushing.then(() => {
      this.#next = undefined;
      const batch = this.#batch;
      this.#batch = this.#spare ?? this.#newBatch();
      this.#spare = undefined;
      return this.#deliver(batch);
    });
    this.#flushing = this.#next;
    return this.#next;
  }

  /** Accepts nothing more and flushes everything queued, including records written while it runs. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }

  #ownKeep(record: LogRecord): KeepClass {
    return this.#ownStartup.take() ? KEEP.essential : keepByLevel(record.level);
  }

  #newBatch(): Batch {
    return { count: 0, bytes: 0, lines: [], entries: this.#o.sinks.map(() => new LineBytes()) };
  }

  #sinkError(sink: string, error: unknown, records: number): void {
    this.counters.sinkErrors[sink] = (this.counters.sinkErrors[sink] ?? 0) + records;
    this.#o.onSinkError?.(sink, error, records);
  }

  async #deliver(batch: Batch): Promise<void> {
    try {
      if (batch.count > 0) await this.#write(batch);
    } finally {
      this.#queuedBytes -= batch.bytes;
      batch.count = 0;
      batch.bytes = 0;
      batch.lines = [];
      for (const entries of batch.entries) entries.clear();
      this.#spare = batch;
      if (this.#saturated && this.#queuedBytes <= (this.#o.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES) / 2) {
        this.#saturated = false;
        this.#o.onPressure?.(false);
      }
    }
  }

  async #write(batch: Batch): Promise<void> {
    await Promise.all(
      this.#o.sinks.map(async (sink, i) => {
        const entries = batch.entries[i];
        if (entries === undefined) return;
        try {
          sink.append(entries);
          await sink.flush();
        } catch (error) {
          this.#sinkError(sink.name, error, entries.count);
        }
      }),
    );
    const out = this.#o.stdout;
    if (out === undefined) return;
    const lines = batch.lines.length;
    if (lines === 0) return;
    if (out.writableLength > (this.#o.stdoutMaxBufferBytes ?? 16 << 20)) {
      this.counters.stdoutDropped += lines;
      return;
    }
    out.write(`${batch.lines.join('\n')}\n`);
    this.counters.stdoutWritten += lines;
  }
}
