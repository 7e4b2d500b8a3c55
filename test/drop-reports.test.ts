// Spool drops are logged once per episode: when a sink starts dropping, and when it has stopped for a minute, with
// the count by level; drops before the logger exists are reported once it does.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DropReports } from '../src/sidecar/drop-reports.js';
import { createLogger, DropEpisodes, type LogRecord } from '../src/telemetry/logs/index.js';

const T = Date.parse('2026-12-07T20:00:00Z');

describe('DropEpisodes', () => {
  it('opens an episode per sink and reason, announces it once, and closes it after a quiet interval with its counts', () => {
    const e = new DropEpisodes(60_000);
    e.add('loki', 'overflow', 'info', 5, T);
    e.add('loki', 'overflow', 'error', 2, T + 1000);
    e.add('syslog', 'overflow', 'info', 1, T + 1000);
    expect(e.begun().map((x) => [x.sink, x.total])).toEqual([['loki', 5 + 2], ['syslog', 1]]);
    expect(e.begun()).toEqual([]);
    e.add('loki', 'overflow', 'info', 3, T + 30_000);
    expect(e.ended(T + 61_000).map((x) => x.sink)).toEqual(['syslog']);
    const [loki] = e.ended(T + 90_000);
    expect(loki).toMatchObject({ sink: 'loki', reason: 'overflow', from: T, to: T + 30_000, total: 10 });
    expect(Object.fromEntries(loki?.byLevel ?? [])).toEqual({ info: 8, error: 2 });
    // The next drop is a new episode.
    e.add('loki', 'overflow', 'info', 1, T + 100_000);
    expect(e.begun()).toHaveLength(1);
  });
});

describe('DropReports', () => {
  beforeEach(() => { vi.useFakeTimers({ now: T }); });
  afterEach(() => { vi.useRealTimers(); });

  it('logs the start of an episode and its end a quiet minute later, with the counts by level', () => {
    const records: LogRecord[] = [];
    const log = createLogger({ write: (r) => { records.push(r); } }, { level: 'info', labels: {} });
    const reports = new DropReports(1 << 20);
    reports.dropped('loki', 1, 'corrupt', '');
    expect(records).toEqual([]);
    reports.start(log);
    expect(records.map((r) => r.event)).toEqual(['spool_drops_started']);
    expect(vi.getTimerCount()).toBe(1);
    reports.dropped('loki', 40, 'overflow', 'info');
    reports.dropped('loki', 2, 'overflow', 'error');
    vi.advanceTimersByTime(30_000);
    reports.dropped('loki', 8, 'overflow', 'info');
    expect(records.filter((r) => r.reason === 'overflow').map((r) => r.msg)).toEqual([
      'loki spool is dropping records (over logs.spoolMaxBytes=1048576): repeats, then debug and info, then warnings and errors go first; the start-up records and each first error last; one report when it stops, every drop counted in tunnelwatch_log_records_dropped_total',
    ]);
    vi.advanceTimersByTime(65_000);
    const ended = records.filter((r) => r.event === 'spool_drops_ended');
    expect(ended.map((r) => r.msg)).toEqual([
      'loki spool dropped 1 record (corrupt) between 2026-12-07T20:00:00.000Z and 2026-12-07T20:00:00.000Z: unknown level 1',
      'loki spool dropped 50 records (overflow) between 2026-12-07T20:00:00.000Z and 2026-12-07T20:00:30.000Z: info 48, error 2',
    ]);
    expect(ended[1]).toMatchObject({ count: 50, by_level: { info: 48, error: 2 } });
    // No episode open: nothing runs at rest.
    expect(vi.getTimerCount()).toBe(0);
    reports.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('reports an episode still open as ended when tunnelwatch stops', () => {
    const records: LogRecord[] = [];
    const reports = new DropReports(1 << 20);
    reports.start(createLogger({ write: (r) => { records.push(r); } }, { level: 'info', labels: {} }));
    expect(vi.getTimerCount()).toBe(0);
    reports.dropped('syslog', 3, 'overflow', 'warn');
    reports.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(records.map((r) => [r.event, r.count])).toEqual([['spool_drops_started', undefined], ['spool_drops_ended', 3]]);
  });
});
