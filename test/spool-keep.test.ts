// A full spool keeps what matters: repeats go first, then routine records, then warnings and errors, and the
// essential ones (start-up, an error's first occurrence) last; within a class the oldest go first. Real files.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEEP, type KeepClass, LineBytes } from '../src/telemetry/logs/index.js';
import { keptBytes, lineKeep, lineLevel, withoutKeep } from '../src/telemetry/sinks/spool-keep.js';
import { Spool } from '../src/telemetry/sinks/spool.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spool-keep-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

interface Rec { id: string }

const LEVEL: Readonly<Record<KeepClass, string>> = { 0: 'error', 1: 'info', 2: 'warn', 3: 'info' };

/** Appends records of one class (at a level that class may have) and makes them durable. */
async function put(s: Spool<Rec>, keep: KeepClass, ...ids: string[]): Promise<void> {
  const lines = new LineBytes();
  for (const id of ids) lines.push(JSON.stringify({ id }), keep, LEVEL[keep]);
  s.appendLines(lines);
  await s.flush();
}

const range = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
const left = async (s: Spool<Rec>): Promise<string[]> => (await s.peek(10_000, 1e9)).records.map((r) => r.id);

describe('a spool over its bound', () => {
  it('drops repeats, then routine records, and keeps warnings and the essential records', async () => {
    const drops = new Map<string, number>();
    const s = await Spool.open<Rec>({ dir, maxBytes: 2_000, segmentBytes: 256, onDrop: (n, reason, level) => drops.set(`${reason} ${level}`, (drops.get(`${reason} ${level}`) ?? 0) + n) });
    await put(s, KEEP.essential, ...range('start', 5));
    await put(s, KEEP.essential, 'first-error');
    for (let i = 0; i < 10; i++) {
      await put(s, KEEP.repeat, ...range(`again${String(i)}-`, 5));
      await put(s, KEEP.routine, ...range(`info${String(i)}-`, 2));
      await put(s, KEEP.notable, `warn${String(i)}`);
    }
    const kept = await left(s);
    const { dropped, bytes } = await s.stats();
    expect(bytes).toBeLessThanOrEqual(2_000);
    expect(kept.length + dropped).toBe(6 + 10 * 8);
    // Counted by level: the repeats were errors, the routine records info; no warning was dropped.
    expect([...drops.keys()].sort()).toEqual(['overflow error', 'overflow info']);
    expect([...drops.values()].reduce((a, b) => a + b, 0)).toBe(dropped);
    expect(drops.get('overflow error')).toBe(50 - kept.filter((id) => id.startsWith('again')).length);
    // Every start-up record, the first error and every warning are still there, in order.
    expect(kept.filter((id) => id.startsWith('start') || id === 'first-error')).toEqual([...range('start', 5), 'first-error']);
    expect(kept.filter((id) => id.startsWith('warn'))).toEqual(range('warn', 10).map((_, i) => `warn${String(i)}`));
    // Repeats went before any routine record: what survived of them is younger than every routine record dropped.
    const repeatsLeft = kept.filter((id) => id.startsWith('again')).length;
    const infoLeft = kept.filter((id) => id.startsWith('info')).length;
    expect(repeatsLeft === 0 || infoLeft === 20).toBe(true);
    expect(repeatsLeft).toBeLessThan(50);
    await s.close();
  });

  it('drops the oldest of a class first, whatever segment it is in', async () => {
    const s = await Spool.open<Rec>({ dir, maxBytes: 600, segmentBytes: 128 });
    await put(s, KEEP.notable, 'warn-old');
    await put(s, KEEP.routine, ...range('info', 40));
    const kept = await left(s);
    expect(kept[0]).toBe('warn-old');
    const info = kept.filter((id) => id.startsWith('info'));
    // The newest routine records survive, contiguous up to the last.
    expect(info).toEqual(range('info', 40).slice(40 - info.length));
    await s.close();
  });

  it('drops from the head records longer than what it reads at a time', async () => {
    const s = await Spool.open<Rec>({ dir, maxBytes: 400_000, segmentBytes: 1 << 20 });
    const big = (n: number): string[] => Array.from({ length: n }, (_, i) => `${String(i)}-${'x'.repeat(150_000)}`);
    await put(s, KEEP.routine, ...big(5));
    const kept = await left(s);
    expect(kept.map((id) => id.split('-')[0])).toEqual(['3', '4']);
    expect((await s.stats()).dropped).toBe(3);
    await s.close();
  });

  it('keeps the classes across a restart: they are read back from the segment files', async () => {
    const s1 = await Spool.open<Rec>({ dir, maxBytes: 1e6, segmentBytes: 128 });
    await put(s1, KEEP.essential, 'start');
    await put(s1, KEEP.repeat, ...range('again', 30));
    await put(s1, KEEP.essential, 'first-error');
    await s1.close();
    const s2 = await Spool.open<Rec>({ dir, maxBytes: 800, segmentBytes: 128 });
    await put(s2, KEEP.notable, 'warn');
    const kept = await left(s2);
    expect(kept).toContain('start');
    expect(kept).toContain('first-error');
    expect(kept).toContain('warn');
    expect(kept.filter((id) => id.startsWith('again')).length).toBeLessThan(30);
    expect((await s2.stats()).bytes).toBeLessThanOrEqual(800);
    await s2.close();
  });

  it('counts lines written before classes existed as routine', async () => {
    await writeFile(join(dir, 'seg-000000000001.jsonl'), range('old', 3).map((id) => `${JSON.stringify({ t: 1, r: { id } })}\n`).join(''));
    await writeFile(join(dir, 'seg-000000000002.jsonl'), range('older', 20).map((id) => `${JSON.stringify({ t: 1, r: { id } })}\n`).join(''));
    const s = await Spool.open<Rec>({ dir, maxBytes: 700, segmentBytes: 128 });
    await put(s, KEEP.notable, ...range('warn', 10));
    const kept = await left(s);
    expect(kept.filter((id) => id.startsWith('warn'))).toEqual(range('warn', 10));
    expect(kept.length).toBeLessThan(33);
    expect((await readdir(dir)).some((n) => n.endsWith('.tmp'))).toBe(false);
    await s.close();
  });
});

describe('keep classes in spool lines', () => {
  const line = (t: number, k: number | undefined, id: string, l?: string): string => `${JSON.stringify(k === undefined ? { t, r: { id } } : l === undefined ? { t, k, r: { id } } : { t, k, l, r: { id } })}\n`;
  const buf = Buffer.from([line(17, 0, 'a', 'error'), line(1_787_000_000_000, 3, 'b'), line(5, undefined, 'c'), line(6, 2, 'd', 'warn')].join(''));

  it('reads each line\'s class from its head, routine when it has none', () => {
    const classes: number[] = [];
    for (let at = 0, nl = buf.indexOf(10); nl >= 0; at = nl + 1, nl = buf.indexOf(10, at)) classes.push(lineKeep(buf, at, nl));
    expect(classes).toEqual([0, 3, 1, 2]);
  });

  it('reads each line\'s level from its head, nothing when it has none', () => {
    const levels: string[] = [];
    for (let at = 0, nl = buf.indexOf(10); nl >= 0; at = nl + 1, nl = buf.indexOf(10, at)) levels.push(lineLevel(buf, at, nl));
    expect(levels).toEqual(['error', '', '', 'warn']);
  });

  it('sums the bytes of each class and filters lines by class', () => {
    const sizes = [line(17, 0, 'a', 'error'), line(1_787_000_000_000, 3, 'b'), line(5, undefined, 'c'), line(6, 2, 'd', 'warn')].map((l) => Buffer.byteLength(l));
    expect(keptBytes(buf)).toEqual([sizes[0], sizes[2], sizes[3], sizes[1]]);
    const { rest, dropped } = withoutKeep(buf, 1);
    expect(dropped).toEqual(new Map([['error', 1], ['', 1]]));
    expect(rest.toString()).toBe(line(1_787_000_000_000, 3, 'b') + line(6, 2, 'd', 'warn'));
  });
});
