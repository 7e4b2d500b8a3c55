import { appendFileSync, existsSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Line } from '../src/supervisor/line-splitter.js';
import { LogFollower, type FollowEvent, type LogFollowerOptions } from '../src/supervisor/log-follower.js';

let dir: string;
let file: string;
let followers: LogFollower[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-log-follower-'));
  file = join(dir, 'cloudflared.log');
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(followers.map((f) => f.stop()));
  followers = [];
  rmSync(dir, { recursive: true, force: true });
});

function follow(options: Partial<LogFollowerOptions> = {}): { f: LogFollower; lines: string[]; events: FollowEvent[] } {
  const lines: string[] = [];
  const events: FollowEvent[] = [];
  const f = new LogFollower({
    file,
    maxLineBytes: 1000,
    onLine: (l) => lines.push(l.line),
    onEvent: (e) => events.push(e),
    ...options,
  });
  followers.push(f);
  return { f, lines, events };
}

const ino = (path = file): number => statSync(path).ino;

/** Descriptors of this process open on `path` (Linux). */
const fdsOn = (path: string): number =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false;
    }
  }).length;

describe('LogFollower', () => {
  it("from 'end' skips the lines already there and yields new ones", async () => {
    writeFileSync(file, 'a\nb\n');
    const { f, lines, events } = follow();
    await f.poll();
    expect(lines).toEqual([]);
    expect(events).toEqual([{ kind: 'opened', file, ino: ino(), offset: 4, from: 'end' }]);
    appendFileSync(file, 'c\nd\n');
    await f.poll();
    expect(lines).toEqual(['c', 'd']);
    expect(f.position).toEqual({ ino: ino(), offset: 8 });
  });

  it("from 'end' begins at the line being written, so it is read whole", async () => {
    writeFileSync(file, 'a\npar');
    const { f, lines, events } = follow();
    await f.poll();
    expect(events).toEqual([{ kind: 'opened', file, ino: ino(), offset: 2, from: 'end' }]);
    appendFileSync(file, 'tial\n');
    await f.poll();
    expect(lines).toEqual(['partial']);
  });

  it("from 'start' yields every line, across chunk boundaries", async () => {
    writeFileSync(file, 'one\ntwo\r\n\nthree\n');
    const { f, lines, events } = follow({ from: 'start', chunkBytes: 3 });
    await f.poll();
    expect(lines).toEqual(['one', 'two', '', 'three']);
    expect(events).toEqual([{ kind: 'opened', file, ino: ino(), offset: 0, from: 'start' }]);
    expect(f.position).toEqual({ ino: ino(), offset: 16 });
  });

  it('holds a partial line until its LF and never reports a position inside it', async () => {
    writeFileSync(file, 'one\ntw');
    const { f, lines } = follow({ from: 'start' });
    expect(f.position).toBeUndefined();
    await f.poll();
    expect(lines).toEqual(['one']);
    expect(f.position).toEqual({ ino: ino(), offset: 4 });
    appendFileSync(file, 'o');
    await f.poll();
    expect(lines).toEqual(['one']);
    expect(f.position).toEqual({ ino: ino(), offset: 4 });
    appendFileSync(file, '\nthr');
    await f.poll();
    expect(lines).toEqual(['one', 'two']);
    expect(f.position).toEqual({ ino: ino(), offset: 8 });
  });

  it('resumes exactly where a saved position on the same inode points', async () => {
    writeFileSync(file, 'a\nb\npart');
    const first = follow({ from: 'start' });
    await first.f.poll();
    await first.f.stop();
    const saved = first.f.position;
    expect(saved).toEqual({ ino: ino(), offset: 4 });
    appendFileSync(file, 'ial\nc\n');
    const { f, lines, events } = follow({ from: 'end', resume: saved });
    await f.poll();
    expect(lines).toEqual(['partial', 'c']);
    expect(events).toEqual([{ kind: 'opened', file, ino: ino(), offset: 4, from: 'resume' }]);
  });

  it("ignores a saved position when the file was replaced, and begins at 'from'", async () => {
    writeFileSync(file, 'old\n');
    const saved = { ino: ino(), offset: 4 };
    // Created before the old file goes, so it cannot get the old inode back.
    writeFileSync(join(dir, 'new'), 'x\ny\nz\n');
    renameSync(join(dir, 'new'), file);
    expect(ino()).not.toBe(saved.ino);
    const { f, lines, events } = follow({ from: 'start', resume: saved });
    await f.poll();
    expect(lines).toEqual(['x', 'y', 'z']);
    expect(events).toEqual([{ kind: 'opened', file, ino: ino(), offset: 0, from: 'start' }]);
  });

  it("ignores a saved position beyond the file's size (truncated since)", async () => {
    writeFileSync(file, 'a\n');
    const { f, lines, events } = follow({ resume: { ino: ino(), offset: 10 } });
    await f.poll();
    appendFileSync(file, 'b\n');
    await f.poll();
    expect(lines).toEqual(['b']);
    expect(events).toEqual([{ kind: 'opened', file, ino: ino(), offset: 2, from: 'end' }]);
  });

  it('after a rename and a new file, reads the rest of the old file first, then the new one, once', async () => {
    writeFileSync(file, 'a\n');
    const { f, lines, events } = follow({ from: 'start' });
    await f.poll();
    const oldIno = ino();
    // Written after the last poll but before the rename, the last line without its LF.
    appendFileSync(file, 'b\nlast');
    renameSync(file, join(dir, 'cloudflared-2024-01-01T00-00-00.000.log'));
    writeFileSync(file, 'c\nd\n');
    const newIno = ino();
    await f.poll();
    await f.poll();
    expect(lines).toEqual(['a', 'b', 'last', 'c', 'd']);
    expect(events).toEqual([
      { kind: 'opened', file, ino: oldIno, offset: 0, from: 'start' },
      { kind: 'rotated', file, oldIno, newIno },
      { kind: 'opened', file, ino: newIno, offset: 0, from: 'start' },
    ]);
    expect(f.position).toEqual({ ino: newIno, offset: 4 });
  });

  it('keeps reading the renamed file while no new one exists, then rotates', async () => {
    writeFileSync(file, 'a\n');
    const { f, lines, events } = follow({ from: 'start' });
    await f.poll();
    const oldIno = ino();
    const backup = join(dir, 'backup.log');
    renameSync(file, backup);
    appendFileSync(backup, 'b\n');
    await f.poll();
    await f.poll();
    expect(lines).toEqual(['a', 'b']);
    expect(events).toEqual([
      { kind: 'opened', file, ino: oldIno, offset: 0, from: 'start' },
      { kind: 'missing', file, error: expect.stringContaining('ENOENT') as string },
    ]);
    writeFileSync(file, 'c\n');
    await f.poll();
    expect(lines).toEqual(['a', 'b', 'c']);
    expect(events.slice(2)).toEqual([
      { kind: 'rotated', file, oldIno, newIno: ino() },
      { kind: 'opened', file, ino: ino(), offset: 0, from: 'start' },
    ]);
  });

  it('reports a new missing episode only after the file was back', async () => {
    writeFileSync(file, 'a\n');
    const { f, lines, events } = follow({ from: 'start' });
    await f.poll();
    const away = join(dir, 'away.log');
    renameSync(file, away);
    await f.poll();
    await f.poll();
    renameSync(away, file);
    appendFileSync(file, 'b\n');
    await f.poll();
    renameSync(file, away);
    await f.poll();
    expect(lines).toEqual(['a', 'b']);
    const missing = { kind: 'missing', file, error: expect.stringContaining('ENOENT') as string };
    expect(events).toEqual([{ kind: 'opened', file, ino: ino(away), offset: 0, from: 'start' }, missing, missing]);
  });

  it('on truncation drops the buffered partial line and reads from 0', async () => {
    writeFileSync(file, 'a\nb\nxy');
    const { f, lines, events } = follow({ from: 'start' });
    await f.poll();
    expect(lines).toEqual(['a', 'b']);
    truncateSync(file, 0);
    appendFileSync(file, 'c\n');
    await f.poll();
    await f.poll();
    expect(lines).toEqual(['a', 'b', 'c']);
    expect(events).toEqual([
      { kind: 'opened', file, ino: ino(), offset: 0, from: 'start' },
      { kind: 'truncated', file, ino: ino(), size: 2, offset: 6 },
    ]);
    expect(f.position).toEqual({ ino: ino(), offset: 2 });
  });

  it('sees a truncation the writer refilled past the read position before the poll, by the bytes that ended the last line', async () => {
    writeFileSync(file, '{"n":1}\n{"n":2}\n');
    const { f, lines, events } = follow({ from: 'start' });
    await f.poll();
    expect(lines).toEqual(['{"n":1}', '{"n":2}']);
    // copytruncate, then a burst longer than what was read, all between two polls.
    truncateSync(file, 0);
    appendFileSync(file, '{"n":3,"burst":"xxxx"}\n{"n":4}\n');
    await f.poll();
    expect(lines).toEqual(['{"n":1}', '{"n":2}', '{"n":3,"burst":"xxxx"}', '{"n":4}']);
    expect(events).toEqual([
      { kind: 'opened', file, ino: ino(), offset: 0, from: 'start' },
      { kind: 'truncated', file, ino: ino(), size: 31, offset: 16 },
    ]);
    // Appended, not replaced: no truncation.
    appendFileSync(file, '{"n":5}\n');
    await f.poll();
    expect(lines.at(-1)).toBe('{"n":5}');
    expect(events).toHaveLength(2);
  });

  it("reports a missing file once, then opens it from 0 when it appears (whatever 'from')", async () => {
    const { f, lines, events } = follow({ from: 'end' });
    await f.poll();
    await f.poll();
    await f.poll();
    expect(events).toEqual([{ kind: 'missing', file, error: expect.stringContaining('ENOENT') as string }]);
    expect(f.position).toBeUndefined();
    writeFileSync(file, 'a\nb\n');
    await f.poll();
    expect(lines).toEqual(['a', 'b']);
    expect(events.slice(1)).toEqual([{ kind: 'opened', file, ino: ino(), offset: 0, from: 'start' }]);
  });

  it('reads nothing while paused, everything once resumed', async () => {
    writeFileSync(file, 'a\n');
    const { f, lines, events } = follow({ from: 'start' });
    f.pause(true);
    await f.poll();
    expect(lines).toEqual([]);
    expect(events).toEqual([]);
    f.pause(false);
    await f.poll();
    expect(lines).toEqual(['a']);
    f.pause(true);
    appendFileSync(file, 'b\nc\n');
    await f.poll();
    expect(lines).toEqual(['a']);
    expect(f.position).toEqual({ ino: ino(), offset: 2 });
    f.pause(false);
    await f.poll();
    expect(lines).toEqual(['a', 'b', 'c']);
  });

  it('stops reading within a poll when onLine pauses (backpressure), at a chunk boundary', async () => {
    writeFileSync(file, 'a\nb\nc\n');
    const lines: string[] = [];
    const { f } = follow({
      from: 'start',
      chunkBytes: 2,
      onLine: (l) => {
        lines.push(l.line);
        f.pause(true);
      },
    });
    await f.poll();
    expect(lines).toEqual(['a']);
    expect(f.position).toEqual({ ino: ino(), offset: 2 });
    f.pause(false);
    await f.poll();
    expect(lines).toEqual(['a', 'b']);
  });

  it('emits a line longer than maxLineBytes cut and flagged', async () => {
    writeFileSync(file, 'abcdefghij\nok\n');
    const got: Line[] = [];
    const { f } = follow({ from: 'start', maxLineBytes: 5, chunkBytes: 4, onLine: (l) => got.push(l) });
    await f.poll();
    expect(got).toEqual([
      { line: 'abcde', truncated: true, tail: 'fghij' },
      { line: 'ok', truncated: false },
    ]);
    expect(f.position).toEqual({ ino: ino(), offset: 14 });
  });

  it('rejects a chunkBytes that could not read anything', () => {
    expect(() => follow({ chunkBytes: 0 })).toThrow(RangeError);
  });

  it.runIf(existsSync('/proc/self/fd'))('stop() closes the fd, is idempotent, and keeps the position', async () => {
    writeFileSync(file, 'a\n');
    const { f, lines } = follow({ from: 'start' });
    await f.poll();
    expect(fdsOn(file)).toBe(1);
    await f.stop();
    await f.stop();
    expect(fdsOn(file)).toBe(0);
    appendFileSync(file, 'b\n');
    await f.poll();
    expect(lines).toEqual(['a']);
    expect(f.position).toEqual({ ino: ino(), offset: 2 });
  });

  it('stop() during a poll ends it after the current chunk and closes the fd', async () => {
    writeFileSync(file, 'a\nb\nc\n');
    const lines: string[] = [];
    let stopping: Promise<void> | undefined;
    const { f } = follow({
      from: 'start',
      chunkBytes: 2,
      onLine: (l) => {
        lines.push(l.line);
        stopping ??= f.stop();
      },
    });
    await f.poll();
    await stopping;
    expect(lines).toEqual(['a']);
    if (existsSync('/proc/self/fd')) expect(fdsOn(file)).toBe(0);
  });

  it('start() polls at once and then on its timer; stop() ends the timer', async () => {
    vi.useFakeTimers();
    writeFileSync(file, 'a\n');
    const { f, lines } = follow({ from: 'start', pollMs: 100 });
    const poll = vi.spyOn(f, 'poll');
    f.start();
    expect(poll).toHaveBeenCalledTimes(1);
    await poll.mock.results[0]?.value;
    expect(lines).toEqual(['a']);
    appendFileSync(file, 'b\n');
    vi.advanceTimersByTime(99);
    expect(poll).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(poll).toHaveBeenCalledTimes(2);
    await poll.mock.results[1]?.value;
    expect(lines).toEqual(['a', 'b']);
    await f.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(poll).toHaveBeenCalledTimes(2);
  });
});
