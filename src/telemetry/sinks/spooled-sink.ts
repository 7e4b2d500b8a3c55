// A sink behind a durable spool: the pipeline appends records (as the JSON of the sink's entry type) and flushes
// them to disk; the sink's shipper reads the spool and delivers at least once. Loki and syslog are both this.
import type { LineBytes, LogRecord, SpooledSink } from '../logs/index.js';
import type { Spool, SpoolStats } from './spool.js';

/** A sink that ships from a spool (Loki, syslog). Its stats are cumulative. */
export interface ShippingSource {
  readonly name: string;
  stats(): Promise<SpoolStats>;
  readonly shipperStats: Shipper['stats'];
}

/** What every spool shipper offers (LokiShipper, SyslogShipper). */
export interface Shipper {
  readonly stats: { readonly shipped: number; readonly retries: number; readonly rateLimited?: number; readonly pushMaxBytes?: number; readonly quarantined?: number; readonly quarantineDropped?: number; readonly lagSeconds: number; readonly lastError: string | null };
  start(): void;
  wake(): void;
  stop(deadlineMs: number): Promise<void>;
}

export class SpoolShipperSink<T> implements SpooledSink, ShippingSource {
  readonly name: string;
  readonly spool: Spool<T>;
  readonly shipper: Shipper;
  /** The JSON of the spool's entry (a T) for a record and its line. */
  readonly entry: (record: LogRecord, line: string) => string;

  constructor(name: string, spool: Spool<T>, shipper: Shipper, entry: (record: LogRecord, line: string) => string) {
    this.name = name;
    this.spool = spool;
    this.shipper = shipper;
    this.entry = entry;
  }

  append(entries: LineBytes): void {
    this.spool.appendLines(entries);
  }

  async flush(): Promise<void> {
    await this.spool.flush();
    this.shipper.wake();
  }

  start(): void {
    this.shipper.start();
  }

  /** Ships until the spool is empty or the deadline passed, then closes the spool; the rest waits for the next start. */
  async stop(deadlineMs: number): Promise<void> {
    await this.shipper.stop(deadlineMs);
    await this.spool.close();
  }

  stats(): Promise<SpoolStats> {
    return this.spool.stats();
  }

  get shipperStats(): Shipper['stats'] {
    return this.shipper.stats;
  }
}

