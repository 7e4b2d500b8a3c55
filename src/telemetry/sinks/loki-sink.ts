// The Loki sink: records become Loki entries with bounded stream labels, spooled, then pushed by the
// shipper. Timestamps are made strictly increasing so Loki keeps the order of lines that share a
// millisecond, and they are fixed at append time so a resend after a crash is deduplicated by Loki.
import { join } from 'node:path';
import type { Settings } from '../../config/index.js';
import { decodeLokiEntry, lokiEntry } from './loki-entry.js';
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
  readonly onDrop?: (count: number, reason: 'overflow' | 'corrupt', level: string) => void;
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

const STREAM_FIELDS = ['source', 'level', 'tunnel_id', 'replica', 'zone'] as const;

/**
 * The JSON of a record's stream labels. Streams are few (source × level × identity): one JSON per stream, and the
 * last one is reused without a lookup while records keep to a stream, as runs of them do.
 */
function streamLabelsJson(fixed: Readonly<Record<string, string>>): (record: LogRecord) => string {
  const streams = new Map<string, string>();
  let last: { readonly values: readonly unknown[]; readonly json: string } | undefined;
  return (record) => {
    if (last !== undefined && STREAM_FIELDS.every((field, i) => record[field] === last?.values[i])) return last.json;
    const values = STREAM_FIELDS.map((field) => record[field]);
    const key = values.map(String).join('\0');
    let json = streams.get(key);
    if (json === undefined) {
      json = JSON.stringify(streamLabels(record, fixed));
      streams.set(key, json);
    }
    last = { values, json };
    return json;
  };
}

export interface LokiSinkExtras {
  readonly fetch?: typeof fetch;
  /** Loki refuses every push, and why (undefined once it takes them again). */
  readonly onProblem?: (problem: string | undefined) => void;
  /** Shorter backoffs and idle waits (tests compress time with them). */
  readonly drain?: Pick<DrainOptions, 'backoffBaseMs' | 'backoffCapMs' | 'idleMs'>;
}

export async function openLokiSink(loki: LokiSettings, place: SpoolPlace, extra: LokiSinkExtras = {}): Promise<SpoolShipperSink<LokiRecord>> {
  const spool = await Spool.open<LokiRecord>({ dir: join(place.dir, 'loki'), maxBytes: place.maxBytes, decode: decodeLokiEntry, ...(place.onDrop === undefined ? {} : { onDrop: place.onDrop }) });
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
  const labelsOf = streamLabelsJson(fixed);
  let lastNs = 0n;
  return new SpoolShipperSink('loki', spool, shipper, (record, line) => {
    let ns = BigInt(Math.trunc(record.time)) * 1_000_000n;
    if (ns <= lastNs) ns = lastNs + 1n;
    lastNs = ns;
    return lokiEntry(ns.toString(), labelsOf(record), line);
  });
}
