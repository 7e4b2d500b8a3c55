import { open } from 'node:fs/promises';
import type { Secret } from '../../base/index.js';
import { buildPushBody, type LokiRecord } from './loki-push.js';
import { Redactor } from '../logs/index.js';
import type { Spool, SpoolBatch } from './spool.js';
import { SpoolDrain, type DrainOptions } from './spool-drain.js';

/**
 * Ships spooled records to Loki: peek a batch, POST it, commit only after a 2xx. 429/5xx/network errors
 * and timeouts retry the same batch (capped exponential backoff with jitter, or Retry-After). So do answers
 * about the sink rather than the records (401, 403, 404, ...: credentials, tenant, path): an outage with a cause,
 * reported once through `onProblem`. Only a rejection of the records' content (400, 413, 422) is poison: the
 * batch is split in halves until the bad records are isolated; those go to the quarantine file (bounded, with
 * the redacted cause, never headers) and the rest is shipped, so one bad line never blocks the pipeline.
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
  /** Bytes the quarantine file may grow to; records beyond are dropped and counted (default 16 MiB). */
  quarantineMaxBytes?: number;
  /** Loki cannot be shipped to, with the cause in words, or (undefined) it can again. Called on changes only. */
  onProblem?: (problem: string | undefined) => void;
}

export interface LokiShipperStats {
  shipped: number;
  retries: number;
  quarantined: number;
  /** Records that would have gone to a full quarantine file. */
  quarantineDropped: number;
  lastError: string | null;
  lagSeconds: number;
}

type Outcome = { kind: 'ok' } | { kind: 'retry'; error: string; retryAfterMs?: number; problem?: string } | { kind: 'reject'; status: number; text: string };

/** Answers that reject what was pushed (a line too long, too old, a bad label), not the sink's setup. */
const CONTENT_REJECTIONS: ReadonlySet<number> = new Set([400, 413, 422]);

/** Why Loki refuses every push, in words with the setting to check. */
function sinkProblem(status: number, url: string): string {
  switch (status) {
    case 401:
      return 'Loki rejected the credentials (HTTP 401): check logs.loki.username and logs.loki.password';
    case 403:
      return 'Loki refused access (HTTP 403): check the credentials and logs.loki.tenant';
    case 404:
    case 405:
      return `Loki has no push endpoint at ${url} (HTTP ${String(status)}): check logs.loki.url, to which tunnelwatch appends loki/api/v1/push`;
    default:
      return `Loki answered HTTP ${String(status)} to every push: check logs.loki`;
  }
}

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

  readonly #redactor: Redactor;
  #problem: string | undefined;

  constructor(o: LokiShipperOptions) {
    const stats: LokiShipperStats = { shipped: 0, retries: 0, quarantined: 0, quarantineDropped: 0, lastError: null, lagSeconds: 0 };
    super(o.spool, { ...o, batchRecords: o.batchRecords ?? 1000, batchBytes: o.batchBytes ?? 1 << 20 }, stats);
    this.stats = stats;
    this.#o = o;
    // A proxy or Loki itself may echo the request in an error body: the credentials never reach the quarantine.
    const auth = o.basicAuth;
    this.#redactor = new Redactor(auth === undefined ? [] : [auth.password.reveal(), basic(auth)]);
  }

  #setProblem(problem: string | undefined): void {
    if (problem === this.#problem) return;
    this.#problem = problem;
    this.#o.onProblem?.(problem);
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
        this.#setProblem(undefined);
        return true;
      }
      if (out.kind === 'reject') {
        this.stats.lastError = `HTTP ${String(out.status)}: ${this.#redactor.text(out.text.slice(0, 200))}`;
        if (records.length === 1) {
          await this.#quarantine(records, out.status, out.text);
          return true;
        }
        const mid = Math.ceil(records.length / 2);
        return (await this.#deliver(records.slice(0, mid))) && (await this.#deliver(records.slice(mid)));
      }
      this.stats.retries++;
      this.stats.lastError = out.error;
      if (out.problem !== undefined) this.#setProblem(out.problem);
      const max = this.#o.maxRetryAfterMs ?? 300_000;
      const delay = out.retryAfterMs === undefined ? this.backoff(attempt) : Math.min(out.retryAfterMs, max);
      await this.sleep(delay);
    }
  }

  async #send(records: LokiRecord[]): Promise<Outcome> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#o.tenant) headers['x-scope-orgid'] = this.#o.tenant;
    const auth = this.#o.basicAuth;
    if (auth) headers.authorization = `Basic ${basic(auth)}`;
    const signal = AbortSignal.any([AbortSignal.timeout(this.#o.timeoutMs ?? 10_000), this.signal]);
    try {
      const res = await (this.#o.fetch ?? fetch)(this.#o.url, { method: 'POST', headers, body: JSON.stringify(buildPushBody(records)), signal });
      const text = await res.text();
      if (res.ok) return { kind: 'ok' };
      if (res.status === 429 || res.status >= 500 || res.status === 408) {
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.now());
        return { kind: 'retry', error: `HTTP ${String(res.status)}: ${this.#redactor.text(text.slice(0, 200))}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
      }
      if (!CONTENT_REJECTIONS.has(res.status)) {
        const problem = sinkProblem(res.status, this.#o.url);
        return { kind: 'retry', error: problem, problem };
      }
      return { kind: 'reject', status: res.status, text };
    } catch (e) {
      return { kind: 'retry', error: `network: ${describe(e)}` };
    }
  }

  async #quarantine(records: LokiRecord[], status: number, text: string): Promise<void> {
    const at = new Date(this.now()).toISOString();
    // Loki's reason for refusing the line (too long, too old, ...), redacted and short: never the headers.
    const cause = this.#redactor.text(text.slice(0, 512)).trim();
    const lines = records.map((record) => `${JSON.stringify({ at, status, cause, record })}\n`).join('');
    const fh = await open(this.#o.quarantinePath, 'a');
    try {
      if ((await fh.stat()).size + Buffer.byteLength(lines) > (this.#o.quarantineMaxBytes ?? 16 << 20)) {
        this.stats.quarantineDropped += records.length;
        return;
      }
      await fh.write(lines);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.stats.quarantined += records.length;
  }
}

const basic = (auth: { username: string; password: Secret }): string => Buffer.from(`${auth.username}:${auth.password.reveal()}`).toString('base64');

/** An error's name, message and cause code, without URLs (which could carry credentials). */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return 'unknown error';
  const cause = e.cause as { code?: unknown } | undefined;
  const code = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return `${e.name}: ${e.message.replace(/\bhttps?:\/\/\S+/g, '<url>')}${code}`;
}
