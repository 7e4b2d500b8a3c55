// The Loki sink: records become Loki entries with bounded stream labels, spooled, then pushed by the
// shipper. Timestamps are made strictly increasing so Loki keeps the order of lines that share a
// millisecond, and they are fixed at append time so a resend after a crash is deduplicated by Loki.
import { join } from 'node:path';
import type { Settings } from '../../config/index.js';
import type { LokiRecord } from './loki-push.js';
import { LokiShipper } from './loki-shipper.js';
import type { DrainOptions } from './spool-drain.js';
import { levelName, type LogRecord } from '../logs/index.js';
import { Spool } from './spool.js';
import { SpoolShipperSink } from './spooled-sink.js';

type LokiSettings = NonNullable<Settings['logs']['loki']>;

export interface SpoolPlace {
  readonly dir: string;
  readonly maxBytes: number;
  readonly onDrop?: (count: number, reason: 'overflow' | 'corrupt') => void;
}

/** Labels that identify a stream: source, level and the replica's identity; never anything per line. */
export function streamLabels(record: LogRecord, fixed: Readonly<Record<string, string>>): Record<string, string> {
  const labels: Record<string, string> = { ...fixed, source: record.source, level: levelName(record.level) };
  for (const key of ['tunnel_id', 'replica', 'zone'] as const) {
    const v = record[key];
    if (typeof v === 'string' && v !== '') labels[key] = v;
  }
  return labels;
}

export interface LokiSinkExtras {
  readonly fetch?: typeof fetch;
  /** Loki refuses every push, and why (undefined once it takes them again). */
  readonly onProblem?: (problem: string | undefined) => void;
  /** Shorter backoffs and idle waits (tests compress time with them). */
  readonly drain?: Pick<DrainOptions, 'backoffBaseMs' | 'backoffCapMs' | 'idleMs'>;
}

export async function openLokiSink(loki: LokiSettings, place: SpoolPlace, extra: LokiSinkExtras = {}): Promise<SpoolShipperSink<LokiRecord>> {
  const spool = await Spool.open<LokiRecord>({ dir: join(place.dir, 'loki'), maxBytes: place.maxBytes, ...(place.onDrop === undefined ? {} : { onDrop: place.onDrop }) });
  const shipper = new LokiShipper({
    spool,
    url: new URL('loki/api/v1/push', loki.url.endsWith('/') ? loki.url : `${loki.url}/`).toString(),
    quarantinePath: join(place.dir, 'loki-quarantine.jsonl'),
    batchRecords: loki.batchMaxRecords,
    batchBytes: loki.batchMaxBytes,
    ...(loki.tenant === undefined ? {} : { tenant: loki.tenant }),
    ...(loki.username === undefined || loki.password === undefined ? {} : { basicAuth: { username: loki.username, password: loki.password } }),
    ...(extra.fetch === undefined ? {} : { fetch: extra.fetch }),
    ...(extra.onProblem === undefined ? {} : { onProblem: extra.onProblem }),
    ...extra.drain,
  });
  const fixed = { job: 'tunnelwatch', ...loki.labels };
  // Streams are few (source × level × identity): one labels object per stream, not one per record.
  const streams = new Map<string, Record<string, string>>();
  let lastNs = 0n;
  return new SpoolShipperSink('loki', spool, shipper, (record, line) => {
    let ns = BigInt(Math.trunc(record.time)) * 1_000_000n;
    if (ns <= lastNs) ns = lastNs + 1n;
    lastNs = ns;
    const key = `${record.source}\0${String(record.level)}\0${String(record.tunnel_id)}\0${String(record.replica)}\0${String(record.zone)}`;
    let labels = streams.get(key);
    if (labels === undefined) {
      labels = streamLabels(record, fixed);
      streams.set(key, labels);
    }
    return { timestampNs: ns.toString(), line, labels };
  });
}
