import { open } from 'node:fs/promises';
import type { Secret } from '../secret.js';
import { buildPushBody } from './loki-push.js';
import type { LokiRecord } from './loki-push.js';
import type { Spool, SpoolBatch } from './spool.js';

/**
 * Ships spooled records to Loki: peek a batch, POST it, commit only after a 2xx. 429/5xx/network errors
 * and timeouts retry the same batch (capped exponential backoff with jitter, or Retry-After). Any other
 * 4xx is poison: the batch is split in halves until the bad records are isolated; those go to the
 * quarantine file and the rest is shipped, so one bad line never blocks the pipeline.
 */
export interface LokiShipperOptions {
  spool: Spool<LokiRecord>;
  /** Full push URL, e.g. `http://127.0.0.1:3100/loki/api/v1/push`. */
  url: string;
  quarantinePath: string;
  tenant?: string;
  basicAuth?: { username: string; password: Secret };
  timeoutMs?: number;
  batchRecords?: number;
  batchBytes?: number;
  idleMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  maxRetryAfterMs?: number;
  now?: () => number;
  /** Resolves after `ms`, or early (never rejecting) when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  fetch?: typeof fetch;
}

export interface LokiShipperStats {
  shipped: number;
  retries: number;
  quarantined: number;
  lastError: string | null;
  lagSeconds: number;
}

type Outcome = { kind: 'ok' } | { kind: 'retry'; error: string; retryAfterMs?: number } | { kind: 'reject'; status: number; text: string };

export const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const done = (): void => { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

/** Retry-After as delay in ms: delta-seconds or an HTTP date (relative to `nowMs`). */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export class LokiShipper {
  readonly stats: LokiShipperStats = { shipped: 0, retries: 0, quarantined: 0, lastError: null, lagSeconds: 0 };
  readonly #o: LokiShipperOptions;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #abort = new AbortController();
  #idle = new AbortController();
  #draining = false;
  #loop: Promise<void> | undefined;

  constructor(o: LokiShipperOptions) {
    this.#o = o;
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
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        // Only an empty read that began after stop() proves the spool drained: records appended while an
        // earlier read was in flight would otherwise be left behind.
        const drainingAtRead = this.#draining;
        const batch: SpoolBatch<LokiRecord> = await this.#o.spool.peek(this.#o.batchRecords ?? 1000, this.#o.batchBytes ?? 1 << 20);
        const first = batch.appendedAtMs[0];
        this.stats.lagSeconds = first === undefined ? 0 : Math.max(0, (this.#now() - first) / 1000);
        if (batch.records.length === 0 && batch.corrupt === 0) {
          if (drainingAtRead) return;
          if (this.#draining) continue;
          this.#idle = new AbortController();
          await this.#sleep(this.#o.idleMs ?? 1000, AbortSignal.any([signal, this.#idle.signal]));
          continue;
        }
        if (!(await this.#deliver(batch.records))) return;
        await this.#o.spool.commit(batch);
        failures = 0;
      } catch (e) {
        this.stats.lastError = `spool: ${e instanceof Error ? e.message : String(e)}`;
        await this.#sleep(this.#backoff(failures++), signal);
      }
    }
  }

  /** True when every record was shipped or quarantined; false when aborted. */
  async #deliver(records: LokiRecord[]): Promise<boolean> {
    if (records.length === 0) return true;
    for (let attempt = 0; ; attempt++) {
      if (this.#abort.signal.aborted) return false;
      const out = await this.#send(records);
      if (out.kind === 'ok') {
        this.stats.shipped += records.length;
        return true;
      }
      if (out.kind === 'reject') {
        this.stats.lastError = `HTTP ${out.status}: ${out.text.slice(0, 200)}`;
        if (records.length === 1) {
          await this.#quarantine(records, out.status, out.text);
          return true;
        }
        const mid = Math.ceil(records.length / 2);
        return (await this.#deliver(records.slice(0, mid))) && (await this.#deliver(records.slice(mid)));
      }
      this.stats.retries++;
      this.stats.lastError = out.error;
      const max = this.#o.maxRetryAfterMs ?? 300_000;
      const delay = out.retryAfterMs === undefined ? this.#backoff(attempt) : Math.min(out.retryAfterMs, max);
      await this.#sleep(delay, this.#abort.signal);
    }
  }

  #backoff(attempt: number): number {
    const base = this.#o.backoffBaseMs ?? 500;
    const exp = Math.min(this.#o.backoffCapMs ?? 30_000, base * 2 ** Math.min(attempt, 30));
    return exp / 2 + (this.#o.random ?? Math.random)() * (exp / 2);
  }

  async #send(records: LokiRecord[]): Promise<Outcome> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#o.tenant) headers['x-scope-orgid'] = this.#o.tenant;
    const auth = this.#o.basicAuth;
    if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password.reveal()}`).toString('base64')}`;
    const signal = AbortSignal.any([AbortSignal.timeout(this.#o.timeoutMs ?? 10_000), this.#abort.signal]);
    try {
      const res = await (this.#o.fetch ?? fetch)(this.#o.url, { method: 'POST', headers, body: JSON.stringify(buildPushBody(records)), signal });
      const text = await res.text();
      if (res.ok) return { kind: 'ok' };
      if (res.status === 429 || res.status >= 500 || res.status === 408) {
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.#now());
        return { kind: 'retry', error: `HTTP ${res.status}: ${text.slice(0, 200)}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
      }
      return { kind: 'reject', status: res.status, text };
    } catch (e) {
      return { kind: 'retry', error: `network: ${describe(e)}` };
    }
  }

  async #quarantine(records: LokiRecord[], status: number, text: string): Promise<void> {
    const at = new Date(this.#now()).toISOString();
    const lines = records.map((record) => `${JSON.stringify({ at, status, response: text.slice(0, 4096), record })}\n`).join('');
    const fh = await open(this.#o.quarantinePath, 'a');
    try {
      await fh.write(lines);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.stats.quarantined += records.length;
  }
}

/** An error's name, message and cause code, without URLs (which could carry credentials). */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return 'unknown error';
  const cause = e.cause as { code?: unknown } | undefined;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return `${e.name}: ${e.message.replace(/\bhttps?:\/\/\S+/g, '<url>')}${code}`;
}
