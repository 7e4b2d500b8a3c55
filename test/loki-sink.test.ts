import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogRecord } from '../src/telemetry/logs/log-record.js';
import { decodeLokiEntry } from '../src/telemetry/sinks/loki-entry.js';
import type { LokiRecord } from '../src/telemetry/sinks/loki-push.js';
import { openLokiSink, streamLabels } from '../src/telemetry/sinks/loki-sink.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'loki-sink-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('openLokiSink entry', () => {
  it('holds the LokiRecord with the line as JSON, strictly increasing timestamps and each stream its labels', async () => {
    // Nothing listens there: the shipper is never started.
    const sink = await openLokiSink({ url: 'http://127.0.0.1:9', labels: { env: 'test' }, batchMaxRecords: 10, batchMaxBytes: 1 << 20 }, { dir, maxBytes: 1 << 20 });
    const fixed = { job: 'tunnelwatch', env: 'test' };
    const rec = (level: number, time: number, extra: Record<string, unknown> = {}): LogRecord => ({ level, time, msg: 'm "é"', source: 'cloudflared', tunnel_id: 't1', ...extra });
    const records = [rec(30, 1000), rec(30, 1000), rec(50, 1000), rec(50, 999), rec(50, 2000, { replica: 'r2' }), rec(30, 3000)];
    const expected: LokiRecord[] = [
      { timestampNs: '1000000000', line: '', labels: streamLabels(rec(30, 0), fixed) },
      { timestampNs: '1000000001', line: '', labels: streamLabels(rec(30, 0), fixed) },
      { timestampNs: '1000000002', line: '', labels: streamLabels(rec(50, 0), fixed) },
      { timestampNs: '1000000003', line: '', labels: streamLabels(rec(50, 0), fixed) },
      { timestampNs: '2000000000', line: '', labels: streamLabels(rec(50, 0, { replica: 'r2' }), fixed) },
      { timestampNs: '3000000000', line: '', labels: streamLabels(rec(30, 0), fixed) },
    ];
    records.forEach((record, i) => {
      const line = JSON.stringify(record);
      const entry = sink.entry(record, line);
      expect(JSON.parse(entry)).toEqual({ timestampNs: expected[i]?.timestampNs, labels: expected[i]?.labels, json: record });
      expect(decodeLokiEntry(entry)).toEqual({ ...expected[i], line });
    });
    await sink.stop(0);
  });
});
