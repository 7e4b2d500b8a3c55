import { hostname as osHostname } from 'node:os';
import type { Spool, SpoolBatch } from './spool.js';
import { SpoolDrain, type DrainOptions } from './spool-drain.js';
import { formatSyslogBounded, priority, type SyslogFormatOptions, type SyslogRecord } from './syslog-format.js';
import { createSyslogSender, type SyslogSender, type SyslogSenderOptions } from './syslog-sender.js';

/**
 * Ships spooled records to a syslog receiver, at least once: peek a batch from the spool, format and send it,
 * commit only after the sender confirmed it (flushed, and the connection survived; see syslog-sender.ts).
 * A failure drops the connection and re-sends the same batch after a capped exponential backoff with jitter,
 * so only the batch in flight can arrive twice. Producers only `spool.append` (and `wake()`), never wait.
 */
export interface SyslogShipperOptions extends SyslogSenderOptions, Partial<DrainOptions> {
  spool: Spool<SyslogRecord>;
  appName: string;
  /** HOSTNAME field; default os.hostname(). */
  hostname?: string;
  /** PROCID for records without `pid`; default process.pid. */
  procId?: string | number;
  /** Default 1 (user); see syslog-format.ts. */
  facility?: number;
  /** MSG from the record (logs.format); default the record as it is. */
  body?: SyslogFormatOptions['body'];
  /**
   * Longest message in bytes; longer ones are cut with a marker and counted. Default 2048 for UDP (RFC 5426),
   * 8192 for TCP/TLS (RFC 5425 receivers SHOULD take it; rsyslog's default maxMessageSize).
   */
  maxMessageBytes?: number;
  /** Replaces the network sender (tests). */
  sender?: SyslogSender;
}

export interface SyslogShipperStats {
  shipped: number;
  /** Failed sends, each followed by a reconnect (UDP: a resend). */
  retries: number;
  /** Messages cut to maxMessageBytes. */
  truncated: number;
  /** Spooled entries that were not records (not a JSON object) and were skipped. */
  dropped: number;
  lastError: string | null;
  lagSeconds: number;
}

/** `p`, or a rejection as soon as `signal` aborts (stop's deadline must not wait for a connect timeout). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(new Error('syslog shipper stopped')); };
    // `p` is always observed, so its late failure after an abort is never an unhandled rejection.
    p.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort); });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

const isRecord = (r: unknown): r is SyslogRecord => typeof r === 'object' && r !== null && !Array.isArray(r);

export class SyslogShipper extends SpoolDrain<SyslogRecord> {
  readonly stats: SyslogShipperStats;
  readonly #format: SyslogFormatOptions;
  readonly #maxBytes: number;
  readonly #sender: SyslogSender;

  constructor(o: SyslogShipperOptions) {
    const stats: SyslogShipperStats = { shipped: 0, retries: 0, truncated: 0, dropped: 0, lastError: null, lagSeconds: 0 };
    super(o.spool, { ...o, batchRecords: o.batchRecords ?? 500, batchBytes: o.batchBytes ?? 1 << 20 }, stats);
    this.stats = stats;
    this.#format = { appName: o.appName, hostname: o.hostname ?? osHostname(), procId: o.procId ?? process.pid, facility: o.facility ?? 1, ...(o.body === undefined ? {} : { body: o.body }) };
    priority(this.#format.facility ?? 1, 0); // a bad facility fails here, not on every batch
    this.#maxBytes = o.maxMessageBytes ?? (o.protocol === 'udp' ? 2048 : 8192);
    this.#sender = o.sender ?? createSyslogSender(o);
  }

  protected async deliver(batch: SpoolBatch<SyslogRecord>): Promise<boolean> {
    const { lines, truncated, dropped } = this.#lines(batch.records);
    await untilAborted(this.#sender.send(lines), this.signal);
    this.stats.shipped += lines.length;
    this.stats.truncated += truncated;
    this.stats.dropped += dropped;
    return true;
  }

  /** Each failed send drops the connection; the next attempt reconnects. */
  protected override failed(error: unknown): void {
    super.failed(error);
    this.stats.retries++;
  }

  protected override async closed(): Promise<void> {
    await this.#sender.close();
  }

  #lines(records: readonly unknown[]): { lines: string[]; truncated: number; dropped: number } {
    const lines: string[] = [];
    let truncated = 0;
    let dropped = 0;
    for (const r of records) {
      if (!isRecord(r)) { dropped++; continue; }
      const out = formatSyslogBounded(r, this.#format, this.#maxBytes);
      if (out.truncated) truncated++;
      lines.push(out.line);
    }
    return { lines, truncated, dropped };
  }
}
