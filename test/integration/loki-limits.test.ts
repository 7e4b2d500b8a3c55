// tunnelwatch's Loki sink against a real Grafana Loki (built from source by scripts/build-loki.sh) whose own limits
// (limits_config) produce the answers: each scenario names the limit, checks what Loki answered, what the sink did,
// and that every record is in Loki exactly once or in the quarantine file with Loki's reason. A missing Loki fails
// the suite; it never skips.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lokiScope, record, type RunningLoki, seqs, type ShippingSink } from '../helpers/loki.js';
import { poll } from '../helpers/run-process.js';

const SELECTOR = '{job="tunnelwatch"}';
const scope = lokiScope();
const loki = (limits: Record<string, unknown>): Promise<RunningLoki> => scope.loki({ limits });
const { sink } = scope;

interface Quarantined { status: number; cause: string; record: { line: string } }
const quarantined = (s: ShippingSink): Quarantined[] =>
  readFileSync(s.quarantinePath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Quarantined);

describe('tunnelwatch\'s Loki sink against a real Loki and its limits', () => {
  it('ingestion_rate_mb 0.5 with a 0.6 MB burst: a 1 MiB batch is split below the burst, nothing is lost or doubled', async () => {
    const l = await loki({ ingestion_rate_mb: 0.5, ingestion_burst_size_mb: 0.6 });
    const s = await sink(l.url);
    // About 1.7 MB of lines: the first peeked batch is 1 MiB, which Loki can never take in one push.
    await s.ship(Array.from({ length: 2000 }, (_, i) => record(i, 850)));
    await poll(async () => ((await s.pending()) === 0 ? true : undefined), `the spool to drain; stats ${JSON.stringify(s.stats)}`, 60_000);

    expect(s.stats.lastError).toMatch(/^HTTP 429: ingestion rate limit exceeded for user fake \(limit: 524288 bytes\/sec\)/);
    expect(s.stats.rateLimited).toBeGreaterThan(0);
    expect(s.stats.quarantined).toBe(0);
    expect(s.problems).toEqual([]);
    const got = seqs(await l.entries(SELECTOR));
    expect(got).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  }, 120_000);

  it('max_line_size 1KB: the two long lines are quarantined with Loki\'s reason, the rest arrive once', async () => {
    const l = await loki({ max_line_size: '1KB' });
    const s = await sink(l.url);
    const records = Array.from({ length: 60 }, (_, i) => record(i, i === 17 || i === 42 ? 5000 : 200));
    await s.ship(records);
    await poll(async () => ((await s.pending()) === 0 ? true : undefined), 'the spool to drain', 30_000);

    const q = quarantined(s);
    expect(q.map((r) => (JSON.parse(r.record.line) as { seq: number }).seq)).toEqual([17, 42]);
    for (const r of q) {
      expect(r.status).toBe(400);
      expect(r.cause).toMatch(/max entry size '1024' bytes exceeded for stream '\{.*\}' while adding an entry with length '5\d{3}' bytes/);
    }
    expect(s.problems).toEqual([]);
    // Loki stored the good lines of each partly refused push; sending them again on the split did not double them.
    expect(seqs(await l.entries(SELECTOR))).toEqual(records.map((_, i) => i).filter((i) => i !== 17 && i !== 42));
  }, 60_000);

  it('max_label_names_per_series 3: an outage with the cause, nothing quarantined; once Loki allows the labels, all arrive', async () => {
    const l = await loki({ max_label_names_per_series: 3 });
    const s = await sink(l.url, { labels: { team: 'sre' } });
    await s.ship(Array.from({ length: 20 }, (_, i) => record(i)));
    const problem = await poll(() => s.problems[0], 'the sink to report a problem', 20_000);
    expect(problem).toMatch(/^Loki refuses tunnelwatch's stream labels \(HTTP 400: entry for stream '\{.*\}' has \d+ label names; limit 3\): trim logs\.loki\.labels, or raise the label limits in Loki's limits_config$/);
    expect(await s.pending()).toBe(20);
    expect(s.stats.quarantined).toBe(0);

    await l.stop();
    l.reconfigure({ limits: { max_label_names_per_series: 15 } });
    await l.resume();
    await poll(async () => ((await s.pending()) === 0 ? true : undefined), 'the spool to drain after the fix', 30_000);
    expect(s.problems).toEqual([problem, undefined]);
    expect(seqs(await l.entries(SELECTOR))).toEqual(Array.from({ length: 20 }, (_, i) => i));
  }, 90_000);

  it('entries out of order: older than reject_old_samples_max_age, or too far behind the stream, are quarantined with Loki\'s reason', async () => {
    const l = await loki({ reject_old_samples: true, reject_old_samples_max_age: '24h' });
    const now = Date.now();
    const fresh = await sink(l.url);
    await fresh.ship([record(0, 200, { time: now })]);
    await poll(async () => ((await fresh.pending()) === 0 ? true : undefined), 'the fresh line in Loki', 20_000);

    // A spool left from long ago, for the same stream (a replica restored from an old volume): two days old is older
    // than Loki keeps accepting; two hours old is more than max_chunk_age/2 (1h) behind the stream's newest entry.
    const old = await sink(l.url);
    await old.ship([record(1, 200, { time: now - 48 * 3_600_000 }), record(2, 200, { time: now - 2 * 3_600_000 }), record(3, 200, { time: now + 1 })]);
    await poll(async () => ((await old.pending()) === 0 ? true : undefined), 'the old spool to drain', 20_000);

    const q = quarantined(old);
    expect(q.map((r) => (JSON.parse(r.record.line) as { seq: number }).seq)).toEqual([1, 2]);
    expect(q[0]?.cause).toMatch(/has timestamp too old/);
    expect(q[1]?.cause).toMatch(/entry too far behind, entry timestamp is: .*, oldest acceptable timestamp is: /);
    expect(old.problems).toEqual([]);
    expect(seqs(await l.entries(SELECTOR, { startMs: now - 72 * 3_600_000 }))).toEqual([0, 3]);
  }, 60_000);
});
