// The Loki sink: records become Loki entries with bounded stream labels and go into a durable spool, from
// which the shipper pushes them. Timestamps are made strictly increasing so Loki keeps the order of lines
// that share a millisecond, and they are fixed at append time so a resend after a crash is deduplicated.
import { join } from 'node:path';
import type { Settings } from '../config/schema.js';
import type { SpooledSink } from './log-pipeline.js';
import type { LokiRecord } from './loki-push.js';
import { LokiShipper, type LokiShipperStats } from './loki-shipper.js';
import { levelName, type LogRecord } from './log-record.js';
import { Spool, type SpoolStats } from './spool.js';

type LokiSettings = NonNullable<Settings['logs']['loki']>;

/** Labels that identify a stream: source, level and the replica's identity; never anything per line. */
export function streamLabels(record: LogRecord, fixed: Readonly<Record<string, string>>): Record<string, string> {
  const labels: Record<string, string> = { ...fixed, source: record.source, level: levelName(record.level) };
  for (const key of ['tunnel_id', 'replica', 'zone'] as const) {
    const v = record[key];
    if (typeof v === 'string' && v !== '') labels[key] = v;
  }
  return labels;
}

export class LokiSink implements SpooledSink {
  readonly name = 'loki';
  readonly spool: Spool<LokiRecord>;
  readonly shipper: LokiShipper;
  readonly #fixed: Readonly<Record<string, string>>;
  #lastNs = 0n;

  private constructor(spool: Spool<LokiRecord>, shipper: LokiShipper, fixed: Readonly<Record<string, string>>) {
    this.spool = spool;
    this.shipper = shipper;
    this.#fixed = fixed;
  }

  static async open(
    loki: LokiSettings,
    spool: { readonly dir: string; readonly maxBytes: number; readonly onDrop?: (count: number, reason: 'overflow' | 'corrupt') => void },
    extra: { readonly fetch?: typeof fetch } = {},
  ): Promise<LokiSink> {
    const dir = join(spool.dir, 'loki');
    const s = await Spool.open<LokiRecord>({ dir, maxBytes: spool.maxBytes, ...(spool.onDrop === undefined ? {} : { onDrop: spool.onDrop }) });
    const url = new URL('loki/api/v1/push', loki.url.endsWith('/') ? loki.url : `${loki.url}/`).toString();
    const shipper = new LokiShipper({
      spool: s,
      url,
      quarantinePath: join(spool.dir, 'loki-quarantine.jsonl'),
      ...(loki.tenant === undefined ? {} : { tenant: loki.tenant }),
      ...(loki.username === undefined || loki.password === undefined ? {} : { basicAuth: { username: loki.username, password: loki.password } }),
      ...(extra.fetch === undefined ? {} : { fetch: extra.fetch }),
    });
    return new LokiSink(s, shipper, { job: 'tunnelwatch', ...loki.labels });
  }

  append(records: readonly LogRecord[], lines: readonly string[]): void {
    const entries: LokiRecord[] = [];
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const line = lines[i];
      if (record === undefined || line === undefined) continue;
      let ns = BigInt(Math.trunc(record.time)) * 1_000_000n;
      if (ns <= this.#lastNs) ns = this.#lastNs + 1n;
      this.#lastNs = ns;
      entries.push({ timestampNs: ns.toString(), line, labels: streamLabels(record, this.#fixed) });
    }
    this.spool.append(entries);
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

  get shipperStats(): LokiShipperStats {
    return this.shipper.stats;
  }
}
