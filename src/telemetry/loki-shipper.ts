import { open } from 'node:fs/promises';
import type { Secret } from '../secret.js';
import { buildPushBody } from './loki-push.js';
import type { LokiRecord } from './loki-push.js';
import type { Spool, SpoolBatch } from './spool.js';
import { SpoolDrain, type DrainOptions } from './spool-drain.js';

/**
 * Ships spooled records to Loki: peek a batch, POST it, commit only after a 2xx. 429/5xx/network errors
 * and timeouts retry the same batch (capped exponential backoff with jitter, or Retry-After). Any other
 * 4xx is poison: the batch is split in halves until the bad records are isolated; those go to the
 * quarantine file and the rest is shipped, so one bad line never blocks the pipeline.
 */
export interface LokiShipperOptions extends Partial<DrainOptions> {
  spool: Spool<LokiRecord>;
  /** Full push URL, e.g. `http://127.0.0.1:3100/loki/api/v1/push`. */
  url: string;
  quarantinePath: string;
  tenant?: string;
  basicAuth?: { username: string; password: Secret };
  timeoutMs?: number;
  maxRetryAfterMs?: number;
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

/** Retry-After as delay in ms: delta-seconds or an HTTP date (relative to `nowMs`). */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export class LokiShipper extends SpoolDrain<LokiRecord> {
  readonly stats: LokiShipperStats;
  readonly #o: LokiShipperOptions;

  constructor(o: LokiShipperOptions) {
    const stats: LokiShipperStats = { shipped: 0, retries: 0, quarantined: 0, lastError: null, lagSeconds: 0 };
    super(o.spool, { ...o, batchRecords: o.batchRecords ?? 1000, batchBytes: o.batchBytes ?? 1 << 20 }, stats);
    this.stats = stats;
    this.#o = o;
  }

  protected deliver(batch: SpoolBatch<LokiRecord>): Promise<boolean> {
    return this.#deliver(batch.records);
  }

  /** True when every record was shipped or quarantined; false when aborted. */
  async #deliver(records: LokiRecord[]): Promise<boolean> {
    if (records.length === 0) return true;
    for (let attempt = 0; ; attempt++) {
      if (this.signal.aborted) return false;
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
      const delay = out.retryAfterMs === undefined ? this.backoff(attempt) : Math.min(out.retryAfterMs, max);
      await this.sleep(delay);
    }
  }

  async #send(records: LokiRecord[]): Promise<Outcome> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#o.tenant) headers['x-scope-orgid'] = this.#o.tenant;
    const auth = this.#o.basicAuth;
    if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password.reveal()}`).toString('base64')}`;
    const signal = AbortSignal.any([AbortSignal.timeout(this.#o.timeoutMs ?? 10_000), this.signal]);
    try {
      const res = await (this.#o.fetch ?? fetch)(this.#o.url, { method: 'POST', headers, body: JSON.stringify(buildPushBody(records)), signal });
      const text = await res.text();
      if (res.ok) return { kind: 'ok' };
      if (res.status === 429 || res.status >= 500 || res.status === 408) {
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.now());
        return { kind: 'retry', error: `HTTP ${res.status}: ${text.slice(0, 200)}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
      }
      return { kind: 'reject', status: res.status, text };
    } catch (e) {
      return { kind: 'retry', error: `network: ${describe(e)}` };
    }
  }

  async #quarantine(records: LokiRecord[], status: number, text: string): Promise<void> {
    const at = new Date(this.now()).toISOString();
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
