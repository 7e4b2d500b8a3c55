import { hostname as osHostname } from 'node:os';
import { defaultSleep } from './loki-shipper.js';
import type { Spool, SpoolBatch } from './spool.js';
import { formatSyslogBounded, priority } from './syslog-format.js';
import type { SyslogFormatOptions, SyslogRecord } from './syslog-format.js';
import { createSyslogSender } from './syslog-sender.js';
import type { SyslogSender, SyslogSenderOptions } from './syslog-sender.js';

/**
 * Ships spooled records to a syslog receiver, at least once: peek a batch from the spool, format and send it,
 * commit only after the sender confirmed it (flushed, and the connection survived; see syslog-sender.ts).
 * A failure drops the connection and re-sends the same batch after a capped exponential backoff with jitter,
 * so only the batch in flight can arrive twice. Producers only `spool.append` (and `wake()`), never wait.
 */
export interface SyslogShipperOptions extends SyslogSenderOptions {
  spool: Spool<SyslogRecord>;
  appName: string;
  /** HOSTNAME field; default os.hostname(). */
  hostname?: string;
  /** PROCID for records without `pid`; default process.pid. */
  procId?: string | number;
  /** Default 1 (user); see syslog-format.ts. */
  facility?: number;
  /**
   * Longest message in bytes; longer ones are cut with a marker and counted. Default 2048 for UDP (RFC 5426),
   * 8192 for TCP/TLS (RFC 5425 receivers SHOULD take it; rsyslog's default maxMessageSize).
   */
  maxMessageBytes?: number;
  batchRecords?: number;
  batchBytes?: number;
  idleMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  now?: () => number;
  /** Resolves after `ms`, or early (never rejecting) when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
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
    if (signal.aborted) { onAbort(); return; }
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort); });
  });
}

const isRecord = (r: unknown): r is SyslogRecord => typeof r === 'object' && r !== null && !Array.isArray(r);

export class SyslogShipper {
  readonly stats: SyslogShipperStats = { shipped: 0, retries: 0, truncated: 0, dropped: 0, lastError: null, lagSeconds: 0 };
  readonly #o: SyslogShipperOptions;
  readonly #format: SyslogFormatOptions;
  readonly #maxBytes: number;
  readonly #sender: SyslogSender;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #abort = new AbortController();
  #idle = new AbortController();
  #draining = false;
  #loop: Promise<void> | undefined;

  constructor(o: SyslogShipperOptions) {
    this.#o = o;
    this.#format = { appName: o.appName, hostname: o.hostname ?? osHostname(), procId: o.procId ?? process.pid, facility: o.facility ?? 1 };
    priority(this.#format.facility ?? 1, 0); // a bad facility fails here, not on every batch
    this.#maxBytes = o.maxMessageBytes ?? (o.protocol === 'udp' ? 2048 : 8192);
    this.#sender = o.sender ?? createSyslogSender(o);
    this.#now = o.now ?? Date.now;
    this.#sleep = o.sleep ?? defaultSleep;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Ends an idle wait early (e.g. after appending). */
  wake(): void {
    this.#idle.abort();
  }

  /** Keeps shipping until the spool is empty or `deadlineMs` passed, then closes the connection. */
  async stop(deadlineMs: number): Promise<void> {
    this.#draining = true;
    this.#idle.abort();
    const timer = setTimeout(() => { this.#abort.abort(); }, deadlineMs);
    try {
      await this.#loop;
    } finally {
      clearTimeout(timer);
      this.#abort.abort();
      await this.#sender.close();
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      // Only a peek that began after stop() has seen every append made before it: stop on that one's emptiness.
      const draining = this.#draining;
      let batch: SpoolBatch<SyslogRecord>;
      try {
        batch = await this.#o.spool.peek(this.#o.batchRecords ?? 500, this.#o.batchBytes ?? 1 << 20);
      } catch (e) {
        this.stats.lastError = `spool: ${e instanceof Error ? e.message : String(e)}`;
        await this.#sleep(this.#backoff(failures++), signal);
        continue;
      }
      const first = batch.appendedAtMs[0];
      this.stats.lagSeconds = first === undefined ? 0 : Math.max(0, (this.#now() - first) / 1000);
      if (batch.records.length === 0 && batch.corrupt === 0) {
        if (draining) return;
        if (this.#draining) continue;
        this.#idle = new AbortController();
        await this.#sleep(this.#o.idleMs ?? 1000, AbortSignal.any([signal, this.#idle.signal]));
        continue;
      }
      const { lines, truncated, dropped } = this.#lines(batch.records);
      try {
        await untilAborted(this.#sender.send(lines), signal);
        await this.#o.spool.commit(batch);
      } catch (e) {
        if (this.#abort.signal.aborted) return; // stop()'s deadline: the batch stays spooled, and that is no failure
        this.stats.retries++;
        this.stats.lastError = e instanceof Error ? e.message : String(e);
        await this.#sleep(this.#backoff(failures++), signal);
        continue;
      }
      failures = 0;
      this.stats.shipped += lines.length;
      this.stats.truncated += truncated;
      this.stats.dropped += dropped;
    }
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

  #backoff(attempt: number): number {
    const base = this.#o.backoffBaseMs ?? 500;
    const exp = Math.min(this.#o.backoffCapMs ?? 30_000, base * 2 ** Math.min(attempt, 30));
    return exp / 2 + (this.#o.random ?? Math.random)() * (exp / 2);
  }
}
