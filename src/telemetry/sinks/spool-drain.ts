// The loop every shipper runs over its spool: peek a batch, deliver it, commit only once delivered, back off
// (capped exponential, half jitter) when the spool or the delivery fails, idle until woken when the spool is
// empty, and on stop keep draining until empty or the deadline. Shippers differ only in how they deliver.
import type { Spool, SpoolBatch } from './spool.js';

export interface DrainOptions {
  readonly batchRecords: number;
  readonly batchBytes: number;
  readonly idleMs?: number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  readonly now?: () => number;
  /** Resolves after `ms`, or early (never rejecting) when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

export interface DrainStats {
  lastError: string | null;
  /** Age of the oldest record not yet delivered. */
  lagSeconds: number;
}

export const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const done = (): void => { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export abstract class SpoolDrain<T> {
  protected readonly spool: Spool<T>;
  protected readonly now: () => number;
  readonly #o: DrainOptions;
  readonly #stats: DrainStats;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #abort = new AbortController();
  #idle = new AbortController();
  #draining = false;
  #loop: Promise<void> | undefined;

  protected constructor(spool: Spool<T>, options: DrainOptions, stats: DrainStats) {
    this.spool = spool;
    this.#o = options;
    this.#stats = stats;
    this.now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /** Aborted by stop()'s deadline: deliveries must give up and leave their batch spooled. */
  protected get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Delivers one batch: true once every record is delivered (or set aside) so it can be committed, false when
   * stopped (the batch stays spooled). A throw is a failed attempt: `failed` is told and the batch is retried.
   */
  protected abstract deliver(batch: SpoolBatch<T>): Promise<boolean>;

  /** A delivery attempt threw; the batch will be retried after a backoff. */
  protected failed(error: unknown): void {
    this.#stats.lastError = message(error);
  }

  /** Runs after the loop has ended on stop() (close a connection, say). */
  protected async closed(): Promise<void> {
    // Nothing to release by default.
  }

  protected sleep(ms: number): Promise<void> {
    return this.#sleep(ms, this.#abort.signal);
  }

  protected backoff(attempt: number): number {
    const base = this.#o.backoffBaseMs ?? 500;
    const exp = Math.min(this.#o.backoffCapMs ?? 30_000, base * 2 ** Math.min(attempt, 30));
    return exp / 2 + (this.#o.random ?? Math.random)() * (exp / 2);
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Ends an idle wait early (e.g. after appending). */
  wake(): void {
    this.#idle.abort();
  }

  /** Keeps shipping until the spool is empty or `deadlineMs` passed; an unfinished batch stays spooled. */
  async stop(deadlineMs: number): Promise<void> {
    this.#draining = true;
    this.#idle.abort();
    const timer = setTimeout(() => { this.#abort.abort(); }, deadlineMs);
    try {
      await this.#loop;
    } finally {
      clearTimeout(timer);
      this.#abort.abort();
      await this.closed();
    }
  }

  /** stop()'s deadline passed (a function, so checks across awaits are not narrowed away). */
  #stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      // Only an empty read that began after stop() proves the spool drained: records appended while an
      // earlier read was in flight would otherwise be left behind.
      const drainingAtRead = this.#draining;
      let batch: SpoolBatch<T>;
      try {
        batch = await this.spool.peek(this.#o.batchRecords, this.#o.batchBytes);
      } catch (e) {
        this.#stats.lastError = `spool: ${message(e)}`;
        await this.sleep(this.backoff(failures++));
        continue;
      }
      const first = batch.appendedAtMs[0];
      this.#stats.lagSeconds = first === undefined ? 0 : Math.max(0, (this.now() - first) / 1000);
      if (batch.records.length === 0 && batch.corrupt === 0) {
        if (drainingAtRead) return;
        if (this.#draining) continue;
        this.#idle = new AbortController();
        await this.#sleep(this.#o.idleMs ?? 1000, AbortSignal.any([signal, this.#idle.signal]));
        continue;
      }
      if (this.#stopped()) return;
      try {
        if (!(await this.deliver(batch))) return;
        await this.spool.commit(batch);
        failures = 0;
      } catch (e) {
        if (this.#stopped()) return;
        this.failed(e);
        await this.sleep(this.backoff(failures++));
      }
    }
  }
}
