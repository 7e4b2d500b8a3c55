// The real Loki of the integration suite (implemented in bench/loki-server.ts, shared with the Loki benchmark) and a
// harness around tunnelwatch's own Loki sink: records in, the spool, the shipper's answers and problems out.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Settings } from '../../src/config/index.js';
import { LineBytes, type LogRecord } from '../../src/telemetry/logs/index.js';
import { openLokiSink, type SpoolShipperSink } from '../../src/telemetry/sinks/index.js';
import type { LokiRecord } from '../../src/telemetry/sinks/loki-push.js';

import { RunningLoki, type LokiOptions } from '../../bench/loki-server.js';
import { poll } from './run-process.js';

export * from '../../bench/loki-server.js';

type LokiSettings = NonNullable<Settings['logs']['loki']>;

export const TUNNEL = '6ff42ae2-765d-4adf-8112-31c55c1551ef';

/** A cloudflared-like record numbered `seq`, its message padded to about `bytes`. */
export function record(seq: number, bytes = 200, over: Partial<LogRecord> = {}): LogRecord {
  const msg = `line ${String(seq)} `;
  return { level: 30, time: Date.now(), source: 'cloudflared', tunnel_id: TUNNEL, replica: 'replica-a', event: 'registered', seq, msg: msg + 'x'.repeat(Math.max(0, bytes - msg.length)), ...over };
}

export interface ShippingSink {
  readonly sink: SpoolShipperSink<LokiRecord>;
  /** The shipper's figures: shipped, retries, rateLimited, pushMaxBytes, quarantined, lastError. */
  readonly stats: SpoolShipperSink<LokiRecord>['shipperStats'];
  /** Every onProblem call: a cause, or undefined when Loki takes records again. */
  readonly problems: (string | undefined)[];
  readonly quarantinePath: string;
  /** Appends the records as the pipeline does (one JSON line each) and flushes them to the spool. */
  ship(records: readonly LogRecord[]): Promise<void>;
  /** Records still spooled. */
  pending(): Promise<number>;
  stop(): Promise<void>;
}

/** tunnelwatch's Loki sink, shipping to `url` from its own spool under `dir` (a fresh one by default), started. */
export async function openSink(url: string, settings: Partial<LokiSettings> = {}, dir = mkdtempSync(join(tmpdir(), 'tw-loki-spool-'))): Promise<ShippingSink> {
  const problems: (string | undefined)[] = [];
  const sink = await openLokiSink(
    { url, labels: {}, batchMaxRecords: 1000, batchMaxBytes: 1 << 20, ...settings },
    { dir, maxBytes: 512 << 20 },
    { onProblem: (p) => problems.push(p), drain: { backoffBaseMs: 100, backoffCapMs: 1000, idleMs: 100 } },
  );
  sink.start();
  return {
    sink,
    stats: sink.shipperStats,
    problems,
    quarantinePath: join(dir, 'loki-quarantine.jsonl'),
    ship: async (records) => {
      sink.append(LineBytes.of(records.map((r) => sink.entry(r, JSON.stringify(r)))));
      await sink.flush();
    },
    pending: async () => (await sink.stats()).records,
    stop: () => sink.stop(2000),
  };
}

/** The `seq` of every entry's JSON line, in Loki's order. */
export const seqs = (entries: readonly { line: string }[]): number[] => entries.map((e) => (JSON.parse(e.line) as { seq: number }).seq);

export interface LokiScope {
  /** A real Loki with these options, closed (and its data removed) after the test. */
  readonly loki: (options?: LokiOptions) => Promise<RunningLoki>;
  /** openSink, stopped after the test (before the Lokis). */
  readonly sink: (url: string, settings?: Partial<LokiSettings>, dir?: string) => Promise<ShippingSink>;
  /** Stops a sink before the test ends (a restart with new settings on the same spool). */
  readonly stopSink: (s: ShippingSink) => Promise<void>;
}

/** Lokis and sinks for the tests of one file, cleaned up after each test. */
export function lokiScope(): LokiScope {
  const started: RunningLoki[] = [];
  const sinks: ShippingSink[] = [];
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.stop()));
    await Promise.all(started.splice(0).map((l) => l.close()));
  }, 60_000);
  return {
    loki: async (options = {}) => {
      const l = await RunningLoki.start(options);
      started.push(l);
      return l;
    },
    sink: async (url, settings = {}, dir) => {
      const s = await openSink(url, settings, dir);
      sinks.push(s);
      return s;
    },
    stopSink: async (s) => {
      await s.stop();
      sinks.splice(sinks.indexOf(s), 1);
    },
  };
}

/** Resolves once the sink's spool is empty. */
export const drained = (s: ShippingSink, what: string, ms = 30_000): Promise<true> => poll(async () => ((await s.pending()) === 0 ? true : undefined), what, ms);
