// Follows the JSON log file of a cloudflared that tunnelwatch did not start (attach mode): `--logfile` appends to
// one file, `--log-directory` has lumberjack rename the full file away and create a new one, and an operator may
// truncate it. The file is read by position on a timer rather than streamed, so memory holds one chunk and one
// partial line, and a paused follower leaves lines in the file. Rotation shows as another inode at the path,
// truncation as a size below what was read, or, when the writer refilled the file past that point before a poll
// (cloudflared appends in bursts), as other bytes where the last line read ended.
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { LineSplitter, type Line } from './line-splitter.js';

export interface FollowPosition { readonly ino: number; readonly offset: number }

export type FollowEvent =
  | { readonly kind: 'opened'; readonly file: string; readonly ino: number; readonly offset: number; readonly from: 'start' | 'end' | 'resume' }
  /** Once per episode: not again until the file is read successfully. */
  | { readonly kind: 'missing'; readonly file: string; readonly error: string }
  | { readonly kind: 'rotated'; readonly file: string; readonly oldIno: number; readonly newIno: number }
  | { readonly kind: 'truncated'; readonly file: string; readonly ino: number; readonly size: number; readonly offset: number };

export interface LogFollowerOptions {
  readonly file: string;
  /** Where to begin when no usable resume position is given: 'end' (default: only new lines) or 'start'. */
  readonly from?: 'start' | 'end';
  /** A saved position: used when the file at `file` has the same inode and is at least `offset` long; else `from` applies. */
  readonly resume?: FollowPosition;
  /** How often the file is checked for new bytes, rotation and truncation (a timer; default 250 ms). */
  readonly pollMs?: number;
  /** Passed to LineSplitter: longer lines are cut and flagged. */
  readonly maxLineBytes: number;
  /** Bytes read per read() call (default 64 KiB): bounds memory per poll. */
  readonly chunkBytes?: number;
  /** An error it throws is reported as 'missing' (the rest of that chunk's lines are skipped, not repeated). */
  readonly onLine: (line: Line) => void;
  readonly onEvent?: (event: FollowEvent) => void;
}

const LF = 0x0a;
/** How much of the end of the last line read is kept to recognise the file it was read from. */
const MARK_BYTES = 32;

export class LogFollower {
  readonly #o: LogFollowerOptions;
  readonly #buf: Buffer;
  #splitter: LineSplitter;
  #fh: FileHandle | undefined;
  /** Inode of the followed file; undefined until one was opened. */
  #ino: number | undefined;
  /** Next byte to read, and just after the last complete line handed out (what `position` reports). */
  #readAt = 0;
  #doneAt = 0;
  /** The last bytes up to #doneAt, as read (a copy): a refilled file has other bytes there. */
  #mark: Buffer | undefined;
  /** Only the first open honours `resume` and `from`: a file that appears later is new, read from its start. */
  #first = true;
  #missing = false;
  #paused = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  /** Polls chain on the last one queued, so they never overlap; callers share one not yet begun. */
  #tail: Promise<void> = Promise.resolve();
  #pending: Promise<void> | undefined;

  constructor(o: LogFollowerOptions) {
    this.#o = o;
    const chunk = o.chunkBytes ?? 64 * 1024;
    // A zero-length read would look like EOF forever.
    if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`chunkBytes must be a positive integer, got ${String(chunk)}`);
    this.#buf = Buffer.alloc(chunk);
    this.#splitter = new LineSplitter(o.maxLineBytes);
  }

  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    // Not unref'd: like a child process, a followed log keeps tunnelwatch running.
    this.#timer = setInterval(() => void this.poll(), this.#o.pollMs ?? 250);
    void this.poll();
  }

  /** One check, after any running one, so it sees every byte written before the call. Never rejects. */
  poll(): Promise<void> {
    if (this.#pending !== undefined) return this.#pending;
    const next = this.#tail.then(() => {
      this.#pending = undefined;
      return this.#check();
    });
    this.#pending = next;
    this.#tail = next;
    return next;
  }

  pause(paused: boolean): void {
    this.#paused = paused;
  }

  /** Kept after stop() so that it can be saved and given back as `resume`. */
  get position(): FollowPosition | undefined {
    return this.#ino === undefined ? undefined : { ino: this.#ino, offset: this.#doneAt };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tail;
    await this.#close();
  }

  async #check(): Promise<void> {
    if (this.#stopped || this.#paused) return;
    try {
      if (this.#fh === undefined) {
        if (!(await this.#open())) return;
      } else {
        let at: Stats | undefined;
        try {
          at = await stat(this.#o.file);
        } catch (e) {
          // Renamed away and not yet replaced, or deleted: what was written is still readable through the fd.
          this.#reportMissing(e);
          await this.#read();
          return;
        }
        if (at.ino !== this.#ino) {
          if (!(await this.#rotate(at.ino))) return;
        } else if (at.size < this.#readAt || (await this.#refilled())) this.#truncate(at.size);
      }
      await this.#read();
      this.#missing = false;
    } catch (e) {
      // Called from a timer: reported, and the next poll retries from where reading stopped.
      this.#reportMissing(e);
    }
  }

  async #open(): Promise<boolean> {
    const first = this.#first;
    this.#first = false;
    let fh: FileHandle;
    try {
      fh = await open(this.#o.file, 'r');
    } catch (e) {
      this.#reportMissing(e);
      return false;
    }
    try {
      const { ino, size } = await fh.stat();
      const resume = this.#o.resume;
      const valid = first && resume?.ino === ino && size >= resume.offset;
      const from = valid ? 'resume' : first ? (this.#o.from ?? 'end') : 'start';
      const offset = valid ? resume.offset : from === 'end' ? await this.#lineStart(fh, size) : 0;
      this.#fh = fh;
      this.#ino = ino;
      this.#readAt = this.#doneAt = offset;
      this.#mark = undefined;
      this.#splitter = new LineSplitter(this.#o.maxLineBytes);
      this.#missing = false;
      this.#emit({ kind: 'opened', file: this.#o.file, ino, offset, from });
      return true;
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** Where 'end' begins: after the last LF before `size`, so a line half-written on attach is read whole. */
  async #lineStart(fh: FileHandle, size: number): Promise<number> {
    const from = Math.max(0, size - this.#buf.length);
    const { bytesRead } = await fh.read(this.#buf, 0, size - from, from);
    const lf = this.#buf.subarray(0, bytesRead).lastIndexOf(LF);
    if (lf !== -1) return from + lf + 1;
    // No LF within one chunk: the file is one partial line, or a line too long to look back over; its rest is skipped.
    return from === 0 ? 0 : size;
  }

  /** Reads to EOF; false when pause() or stop() cut it short. */
  async #read(): Promise<boolean> {
    const fh = this.#fh;
    if (fh === undefined) return false;
    for (;;) {
      if (this.#paused || this.#stopped) return false;
      const { bytesRead } = await fh.read(this.#buf, 0, this.#buf.length, this.#readAt);
      if (bytesRead === 0) return true;
      const chunk = this.#buf.subarray(0, bytesRead);
      const lines = this.#splitter.push(chunk);
      // Lines complete exactly at LFs, so the last LF of the chunk ends the last line handed out.
      const lf = chunk.lastIndexOf(LF);
      if (lf !== -1) {
        this.#doneAt = this.#readAt + lf + 1;
        this.#mark = Buffer.from(chunk.subarray(Math.max(0, lf + 1 - MARK_BYTES), lf + 1));
      }
      this.#readAt += bytesRead;
      for (const line of lines) this.#o.onLine(line);
    }
  }

  /** False when the old file could not be read to its end (paused or stopped): the next poll goes on with it. */
  async #rotate(newIno: number): Promise<boolean> {
    // Lines written before the rename come before those of the new file.
    if (!(await this.#read())) return false;
    // The writer moved on to the new file, so a last line without LF is complete.
    const rest = this.#splitter.end();
    this.#doneAt = this.#readAt;
    for (const line of rest) this.#o.onLine(line);
    const oldIno = this.#ino ?? 0;
    await this.#close();
    this.#emit({ kind: 'rotated', file: this.#o.file, oldIno, newIno });
    return this.#open();
  }

  #truncate(size: number): void {
    this.#emit({ kind: 'truncated', file: this.#o.file, ino: this.#ino ?? 0, size, offset: this.#readAt });
    // A buffered partial line belonged to the content cut away.
    this.#readAt = this.#doneAt = 0;
    this.#mark = undefined;
    this.#splitter = new LineSplitter(this.#o.maxLineBytes);
  }

  /** Whether the bytes that ended the last line read are no longer there: truncated, then written past that point. */
  async #refilled(): Promise<boolean> {
    const mark = this.#mark;
    if (mark === undefined || this.#fh === undefined) return false;
    const now = Buffer.alloc(mark.length);
    const { bytesRead } = await this.#fh.read(now, 0, now.length, this.#doneAt - mark.length);
    return bytesRead !== now.length || !now.equals(mark);
  }

  async #close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    // Nothing was written through it, so a failed close loses nothing.
    await fh?.close().catch(() => undefined);
  }

  #reportMissing(e: unknown): void {
    if (this.#missing) return;
    this.#missing = true;
    this.#emit({ kind: 'missing', file: this.#o.file, error: e instanceof Error ? e.message : String(e) });
  }

  #emit(event: FollowEvent): void {
    try {
      this.#o.onEvent?.(event);
    } catch {
      // A throwing listener must neither stop the follower nor reject a poll started by the timer.
    }
  }
}
