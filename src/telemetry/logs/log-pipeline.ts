// Every record, tunnelwatch's own and cloudflared's, passes here: redacted once, serialised once (in logs.format),
// then made durable in each spooled sink (Loki, syslog) before it is written to stdout. "Durable before visible":
// any record a person saw on stdout survives a kill -9 of tunnelwatch and is shipped after the restart.
// Records are batched for at most `flushIntervalMs`, so one fsync serves many lines.
import type { RecentLines } from './recent-lines.js';
import type { LogRecord } from './log-record.js';
import { pinoLine, type RecordSerialiser } from './record-format.js';
import type { Redactor } from './redact.js';

/** A sink behind a durable spool: append is synchronous and in memory, flush makes it durable (fsync). */
export interface SpooledSink {
  readonly name: string;
  append(records: readonly LogRecord[], lines: readonly string[]): void;
  flush(): Promise<void>;
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
  /** Bytes of records waiting for the disk before the producer is asked to pause (default 8 MiB). */
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

export class LogPipeline {
  readonly counters: PipelineCounters = { records: 0, bySource: { cloudflared: 0, tunnelwatch: 0 }, stdoutWritten: 0, stdoutDropped: 0, sinkErrors: {} };
  readonly #o: PipelineOptions;
  readonly #serialise: RecordSerialiser;
  #records: LogRecord[] = [];
  #lines: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #closed = false;
  /** Bytes written and not yet through a flush; of those, `#unflushedBytes` are not yet in a flush. */
  #queuedBytes = 0;
  #unflushedBytes = 0;
  #saturated = false;

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#serialise = options.serialise ?? pinoLine;
  }

  /** Queues one record (redacted here, then formatted); it reaches the sinks and stdout on the next flush. */
  write(record: LogRecord): void {
    if (this.#closed) return;
    let clean = record;
    // The check reads the formatted line, which holds every string of the record; the redaction itself works on
    // the record, so a secret is masked before any format moves it.
    let line = this.#serialise(record);
    if (this.#o.redactor.mayNeed(line)) {
      clean = this.#o.redactor.value(record);
      line = this.#serialise(clean);
    }
    this.#records.push(clean);
    this.#lines.push(line);
    this.#o.recent?.add(line);
    this.counters.records++;
    this.counters.bySource[clean.source]++;
    this.#queuedBytes += line.length;
    this.#unflushedBytes += line.length;
    const max = this.#o.maxQueuedBytes ?? 8 << 20;
    if (!this.#saturated && this.#queuedBytes > max) {
      this.#saturated = true;
      this.#o.onPressure?.(true);
    }
    // A burst is written in chunks of a quarter of the bound rather than one batch per interval.
    if (this.#lines.length > 1 && this.#unflushedBytes > max / 4) {
      void this.flush();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#o.flushIntervalMs ?? 100);
  }

  /** Makes everything queued so far durable in every sink, then writes it to stdout. Serialised. */
  flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const records = this.#records;
    const lines = this.#lines;
    this.#records = [];
    this.#lines = [];
    this.#unflushedBytes = 0;
    this.#flushing = this.#flushing.then(() => this.#deliver(records, lines));
    return this.#flushing;
  }

  /** Accepts nothing more and flushes everything queued, including records written while it runs. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }


  async #deliver(records: LogRecord[], lines: string[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await this.#write(records, lines);
    } finally {
      for (const line of lines) this.#queuedBytes -= line.length;
      if (this.#saturated && this.#queuedBytes <= (this.#o.maxQueuedBytes ?? 8 << 20) / 2) {
        this.#saturated = false;
        this.#o.onPressure?.(false);
      }
    }
  }

  async #write(records: LogRecord[], lines: string[]): Promise<void> {
    await Promise.all(
      this.#o.sinks.map(async (sink) => {
        try {
          sink.append(records, lines);
          await sink.flush();
        } catch (error) {
          this.counters.sinkErrors[sink.name] = (this.counters.sinkErrors[sink.name] ?? 0) + records.length;
          this.#o.onSinkError?.(sink.name, error, records.length);
        }
      }),
    );
    const out = this.#o.stdout;
    if (out === undefined) return;
    if (out.writableLength > (this.#o.stdoutMaxBufferBytes ?? 16 << 20)) {
      this.counters.stdoutDropped += lines.length;
      return;
    }
    out.write(`${lines.join('\n')}\n`);
    this.counters.stdoutWritten += lines.length;
  }
}
