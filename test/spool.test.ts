import { mkdtemp, readdir, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../src/telemetry/sinks/spool.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spool-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const ids = (n: number, from = 0): { id: number }[] => Array.from({ length: n }, (_, i) => ({ id: from + i }));

describe('Spool', () => {
  it('peeks without removing and commits in order', async () => {
    const s = await Spool.open<{ id: number }>({ dir, maxBytes: 1e6 });
    s.append(ids(5));
    const a = await s.peek(3, 1e6);
    expect(a.records.map((r) => r.id)).toEqual([0, 1, 2]);
    expect((await s.peek(3, 1e6)).records.map((r) => r.id)).toEqual([0, 1, 2]);
    await s.commit(a);
    expect((await s.peek(10, 1e6)).records.map((r) => r.id)).toEqual([3, 4]);
    expect((await s.stats()).records).toBe(2);
    await s.close();
  });

  it('limits a batch by bytes but always returns at least one record', async () => {
    const s = await Spool.open<string>({ dir, maxBytes: 1e6 });
    s.append(['x'.repeat(100), 'y', 'z']);
    expect((await s.peek(10, 10)).records).toEqual(['x'.repeat(100)]);
    await s.close();
  });

  it('crash after peek (no commit): the batch is delivered after reopen', async () => {
    const s1 = await Spool.open<{ id: number }>({ dir, maxBytes: 1e6, segmentBytes: 64 });
    s1.append(ids(10));
    const b = await s1.peek(4, 1e6);
    await s1.commit(b);
    await s1.peek(4, 1e6); // "sent", then the process dies before commit: s1 is simply abandoned
    const s2 = await Spool.open<{ id: number }>({ dir, maxBytes: 1e6, segmentBytes: 64 });
    expect((await s2.peek(100, 1e6)).records.map((r) => r.id)).toEqual([4, 5, 6, 7, 8, 9]);
    expect((await s2.stats()).records).toBe(6);
    await s2.close();
    await s1.close(); // only to release its file handle
  });

  it('rotates segments and deletes fully consumed ones', async () => {
    const s = await Spool.open<{ id: number }>({ dir, maxBytes: 1e6, segmentBytes: 100 });
    s.append(ids(20));
    await s.flush();
    const before = (await readdir(dir)).filter((n) => n.startsWith('seg-')).length;
    expect(before).toBeGreaterThan(3);
    const b = await s.peek(15, 1e6);
    await s.commit(b);
    const after = (await readdir(dir)).filter((n) => n.startsWith('seg-')).length;
    expect(after).toBeLessThan(before);
    expect((await s.peek(100, 1e6)).records.map((r) => r.id)).toEqual([15, 16, 17, 18, 19]);
    await s.close();
  });

  it('over the size bound drops the oldest records and counts them', async () => {
    const drops: number[] = [];
    const s = await Spool.open<{ id: number }>({ dir, maxBytes: 300, segmentBytes: 128, onDrop: (n) => drops.push(n) });
    s.append(ids(50));
    await s.flush();
    const st = await s.stats();
    expect(st.bytes).toBeLessThanOrEqual(300);
    expect(st.dropped).toBeGreaterThan(0);
    expect(drops.reduce((a, b) => a + b, 0)).toBe(st.dropped);
    const left = (await s.peek(1000, 1e6)).records.map((r) => r.id);
    expect(left.length + st.dropped).toBe(50);
    expect(left).toEqual(ids(left.length, 50 - left.length).map((r) => r.id)); // the newest survive
    await s.close();
  });

  it('a commit of a batch that was dropped meanwhile does not move the position back', async () => {
    const s = await Spool.open<{ id: number }>({ dir, maxBytes: 200, segmentBytes: 64 });
    s.append(ids(3));
    const stale = await s.peek(3, 1e6);
    s.append(ids(20, 3));
    await s.flush();
    await s.commit(stale);
    const rest = (await s.peek(1000, 1e6)).records.map((r) => r.id);
    const { dropped } = await s.stats();
    expect(rest.at(-1)).toBe(22);
    // The committed batch was delivered: each record is counted once, as delivered, left or dropped.
    expect(stale.records).toHaveLength(3);
    expect(rest.length + dropped + stale.records.length).toBe(23);
    await s.close();
  });

  it('counts records pushed out while in flight as dropped only when their batch is never committed', async () => {
    const s = await Spool.open<{ id: number }>({ dir, maxBytes: 200, segmentBytes: 64 });
    s.append(ids(3));
    const failed = await s.peek(3, 1e6);
    s.append(ids(20, 3));
    await s.flush();
    const before = (await s.stats()).dropped;
    // The delivery failed and the shipper peeks again: the evicted in-flight records are gone, and now counted.
    const next = await s.peek(1000, 1e6);
    const { dropped } = await s.stats();
    expect(dropped - before).toBe(failed.records.length);
    expect(next.records.length + dropped).toBe(23);
    await s.close();
  });

  it('cuts a torn last line and skips corrupt lines, counting them; reads the keys of a line in any order', async () => {
    const s1 = await Spool.open<{ id: number }>({ dir, maxBytes: 1e6 });
    s1.append(ids(2));
    await s1.close();
    const seg = (await readdir(dir)).find((n) => n.startsWith('seg-')) ?? '';
    await appendFile(join(dir, seg), 'not json\n{"t":1,"r":{"id":2}}\n{"t":1,"k":2,"r":{"id":}\n{"r":{"id":3},"t":1}\n{"t":1,"r":{"id"');
    const s2 = await Spool.open<{ id: number }>({ dir, maxBytes: 1e6 });
    const b = await s2.peek(100, 1e6);
    expect(b.records.map((r) => r.id)).toEqual([0, 1, 2, 3]);
    expect(b.corrupt).toBe(2);
    await s2.commit(b);
    expect(await s2.stats()).toMatchObject({ records: 0, dropped: 2 });
    await s2.close();
  });

  it('ignores a leftover temp file of an interrupted position write', async () => {
    const s1 = await Spool.open<{ id: number }>({ dir, maxBytes: 1e6 });
    s1.append(ids(3));
    await s1.commit(await s1.peek(1, 1e6));
    await s1.close();
    await writeFile(join(dir, 'position.json.tmp'), '{"segment":1,"off');
    const s2 = await Spool.open<{ id: number }>({ dir, maxBytes: 1e6 });
    expect((await s2.peek(100, 1e6)).records.map((r) => r.id)).toEqual([1, 2]);
    await s2.close();
  });

  it('reports the age of the oldest pending record', async () => {
    let now = 1_000_000;
    const s = await Spool.open<{ id: number }>({ dir, maxBytes: 1e6, now: () => now });
    s.append(ids(1));
    now += 5000;
    s.append(ids(1, 1));
    now += 2000;
    await s.flush();
    expect((await s.stats()).oldestAgeMs).toBe(7000);
    await s.commit(await s.peek(1, 1e6));
    expect((await s.stats()).oldestAgeMs).toBe(2000);
    await s.close();
  });
  it('writes each record as one {"t","k","r"} line, filling a segment up to segmentBytes and giving a longer line its own', async () => {
    let now = 1_000;
    const s = await Spool.open<string>({ dir, maxBytes: 1e9, segmentBytes: 100, now: () => now });
    const records = ['a'.repeat(30), 'é€ "quoted"\n', 'b'.repeat(250), 'c', 'd'.repeat(40), 'e'.repeat(3 << 20)];
    s.append(records.slice(0, 3));
    now = 2_000;
    s.append(records.slice(3));
    await s.flush();
    // What JSON.stringify({ t, k, r }) per line gives (append() keeps records as routine), segment by segment.
    const lines = records.map((r, i) => `${JSON.stringify({ t: i < 3 ? 1_000 : 2_000, k: 1, r })}\n`);
    const expected: string[] = [];
    for (const line of lines) {
      const last = expected.length - 1;
      const size = Buffer.byteLength(expected[last] ?? '');
      if (last < 0 || (size > 0 && size + Buffer.byteLength(line) > 100)) expected.push(line);
      else expected[last] = `${expected[last] ?? ''}${line}`;
    }
    const segments = (await readdir(dir)).filter((n) => n.startsWith('seg-')).sort();
    expect(await Promise.all(segments.map((n) => readFile(join(dir, n), 'utf8')))).toEqual(expected);
    expect((await s.peek(100, 1e9)).records).toEqual(records);
    await s.close();
  });
});
