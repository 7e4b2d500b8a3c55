import { open } from 'node:fs/promises';
import { createHttpFetch, type Secret } from '../../base/index.js';
import { buildPushBody, type LokiRecord } from './loki-push.js';
import { Redactor } from '../logs/index.js';
import type { Spool, SpoolBatch } from './spool.js';
import { SpoolDrain, type DrainOptions } from './spool-drain.js';
import { firstLine, readLokiAnswer, type LokiAnswer } from './loki-answer.js';
import { fitting, PushSize } from './loki-push-size.js';

/** Loki answers a push with a few bytes, or a reason of a few hundred; more is not Loki. */
const lokiFetch = createHttpFetch({ maxBytes: 1 << 20 });

/**
 * Ships spooled records to Loki: peek a batch, POST it in pushes of at most `PushSize` bytes of lines, commit only
 * after every push got a 2xx. What each answer means is `readLokiAnswer`'s: 5xx, network errors and timeouts retry
 * the same push (capped exponential backoff with jitter, or Retry-After); a rate-limit 429 shrinks the pushes and
 * waits as long as Loki's rate needs for the push; an answer about the sink rather than the records (credentials,
 * tenant, URL, labels) is an outage with a cause, reported once through `onProblem`, and the records wait. Only a
 * rejection of the records' content is poison: the push is split in halves until the bad records are isolated;
 * those go to the quarantine file (bounded, with the redacted cause, never headers) and the rest is shipped, so one
 * bad line never blocks the pipeline. Loki stores the valid entries of a push it partly refuses and drops an exact
 * resend (same stream, time and line), so sending the good half again does not duplicate it.
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
  /** Pushes Loki refused for the ingestion rate (also counted in retries). */
  rateLimited: number;
  /** Line bytes the next push may carry: the batch bound, or less after rate-limit answers. */
  pushMaxBytes: number;
  quarantined: number;
  /** Records that would have gone to a full quarantine file. */
  quarantineDropped: number;
  lastError: string | null;
  lagSeconds: number;
}

/** Retry-After as delay in ms: delta-seconds or an HTTP date (relative to `nowMs`). */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

const lineBytes = (r: LokiRecord): number => Buffer.byteLength(r.line);
const sumBytes = (records: readonly LokiRecord[]): number => records.reduce((n, r) => n + lineBytes(r), 0);

/** Rate-limit answers in a row for one push after which it is split even though Loki's named rate says it fits. */
const SPLIT_AFTER = 3;

export class LokiShipper extends SpoolDrain<LokiRecord> {
  readonly stats: LokiShipperStats;
  readonly #o: LokiShipperOptions;
  readonly #size: PushSize;
  readonly #redactor: Redactor;
  #problem: string | undefined;

  constructor(o: LokiShipperOptions) {
    const batchBytes = o.batchBytes ?? 1 << 20;
    const size = new PushSize(batchBytes);
    const stats: LokiShipperStats = { shipped: 0, retries: 0, rateLimited: 0, pushMaxBytes: size.bytes, quarantined: 0, quarantineDropped: 0, lastError: null, lagSeconds: 0 };
    super(o.spool, { ...o, batchRecords: o.batchRecords ?? 1000, batchBytes }, stats);
    this.stats = stats;
    this.#o = o;
    this.#size = size;
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
  async #deliver(records: readonly LokiRecord[]): Promise<boolean> {
    for (let at = 0; at < records.length; ) {
      const n = fitting(records, at, lineBytes, this.#size.bytes);
      if (!(await this.#push(records.slice(at, at + n)))) return false;
      at += n;
    }
    return true;
  }

  /** One push, retried until Loki takes it (or its bad records are quarantined); false when aborted. */
  async #push(records: LokiRecord[]): Promise<boolean> {
    const bytes = sumBytes(records);
    for (let attempt = 0, limited = 0; ; attempt++) {
      if (this.signal.aborted) return false;
      const out = await this.#send(records);
      if (out.kind === 'ok') {
        this.stats.shipped += records.length;
        this.#size.accepted();
        this.stats.pushMaxBytes = this.#size.bytes;
        this.#setProblem(undefined);
        return true;
      }
      if (out.kind === 'reject') {
        this.stats.lastError = `HTTP ${String(out.status)}: ${firstLine(out.text)}`;
        if (records.length === 1) {
          await this.#quarantine(records, out.status, out.text);
          return true;
        }
        const mid = Math.ceil(records.length / 2);
        return (await this.#deliver(records.slice(0, mid))) && (await this.#deliver(records.slice(mid)));
      }
      this.stats.retries++;
      this.stats.lastError = out.error;
      limited = out.kind === 'rate_limited' ? limited + 1 : 0;
      const after = out.kind === 'setup' ? undefined : out.retryAfterMs;
      let delay = after === undefined ? this.backoff(attempt) : Math.min(after, this.#o.maxRetryAfterMs ?? 300_000);
      if (out.kind === 'setup') this.#setProblem(out.problem);
      if (out.kind === 'rate_limited') {
        this.stats.rateLimited++;
        const rate = out.limitBytesPerSecond;
        // Loki's named rate says the push fits, yet it keeps being refused: the burst is smaller than the rate.
        this.#size.limited(bytes, limited >= SPLIT_AFTER ? undefined : rate);
        this.stats.pushMaxBytes = this.#size.bytes;
        if (records.length > 1 && bytes > this.#size.bytes) return this.#deliver(records);
        // The bucket refills at Loki's rate: sooner than that the same push is refused again.
        if (rate !== undefined) delay = Math.max(delay, Math.min(60_000, (bytes / rate) * 1000));
        if (records.length === 1 && limited >= SPLIT_AFTER) {
          const limits = /per stream/i.test(out.error) ? 'per_stream_rate_limit and per_stream_rate_limit_burst' : 'ingestion_rate_mb and ingestion_burst_size_mb';
          this.#setProblem(`Loki refused a push of a single record (${String(bytes)} bytes) for its rate ${String(SPLIT_AFTER)} times in a row (${out.error}): if it stays, the record is larger than the burst or other writers use the whole rate; raise ${limits} in Loki's limits_config for this tenant`);
        }
      }
      await this.sleep(delay);
    }
  }

  async #send(records: LokiRecord[]): Promise<LokiAnswer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#o.tenant) headers['x-scope-orgid'] = this.#o.tenant;
    const auth = this.#o.basicAuth;
    if (auth) headers.authorization = `Basic ${basic(auth)}`;
    const signal = AbortSignal.any([AbortSignal.timeout(this.#o.timeoutMs ?? 10_000), this.signal]);
    try {
      const res = await (this.#o.fetch ?? lokiFetch)(this.#o.url, { method: 'POST', headers, body: JSON.stringify(buildPushBody(records)), signal });
      const text = this.#redactor.text(await res.text());
      return readLokiAnswer(res.status, text, this.#o.url, parseRetryAfter(res.headers.get('retry-after'), this.now()));
    } catch (e) {
      return { kind: 'retry', error: `network: ${describe(e)}` };
    }
  }

  async #quarantine(records: LokiRecord[], status: number, text: string): Promise<void> {
    const at = new Date(this.now()).toISOString();
    // Loki's reason for refusing the line (too long, too old, ...), redacted by #send and short: never the headers.
    const cause = text.slice(0, 512).trim();
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
