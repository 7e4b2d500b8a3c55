import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { LineBytes } from '../logs/index.js';
import { readRange, type Segment, segName, splitLine, spoolLine, type SpoolPosition, syncDir, writeFileAtomic } from './spool-files.js';
import { comparePositions as cmp, headDrop, withoutClass } from './spool-drop.js';
import { KEEP_CLASSES } from './spool-keep.js';
import { countLines, loadSegments, newSegment } from './spool-load.js';

/**
 * A durable, bounded on-disk FIFO of JSON records. Segment files `seg-<n>.jsonl` hold one
 * `{"t":<append ms>,"k":<keep class>,"l":"<level>","r":<record>}` per line; `position.json` (replaced atomically)
 * holds the committed read position. At-least-once: a batch is removed only by `commit`, so after a crash anything
 * not committed is peeked again. Records are durable once `flush()` (or `peek()`, which flushes) resolved.
 * Over its bound, the spool drops its least useful records first, class by class (repeats, routine records,
 * warnings and errors, then the essential ones), oldest first within a class: from the head while the oldest are of
 * that class, then by rewriting later segments without it.
 */
export interface SpoolOptions<T = unknown> {
  dir: string;
  /** Bound on pending bytes; over it, records are dropped (by keep class, then oldest first) and counted. */
  maxBytes: number;
  /** A new segment is started when the active one would grow past this. Default 1 MiB. */
  segmentBytes?: number;
  now?: () => number;
  /** A record's JSON (as its sink wrote it) to the record; undefined when it is corrupt. Default JSON.parse. */
  decode?: (json: string) => T | undefined;
  /** Records dropped, by reason and level ('' when the line does not say: corrupt, or written before levels were). */
  onDrop?: (count: number, reason: 'overflow' | 'corrupt', level: string) => void;
}
export type { SpoolPosition };
export interface SpoolBatch<T> {
  records: T[];
  /** Append time (ms) of each record. */
  appendedAtMs: number[];
  /** Lines that were not valid JSON; they are skipped and counted as dropped on commit. */
  corrupt: number;
  start: SpoolPosition;
  end: SpoolPosition;
}
/** A run of records appended together (JSON lines) with its append time, and each line's keep class and level. */
interface Run { t: number; pieces: Buffer[]; keeps: readonly number[]; levels: readonly string[] }

export interface SpoolStats { bytes: number; records: number; oldestAgeMs: number; dropped: number }

function parseJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

export class Spool<T> {
  #segs: Segment[] = [];
  #pos: SpoolPosition = { segment: 1, offset: 0 };
  #fh: FileHandle | undefined;
  /** Appended and not yet written. */
  #buffer: Run[] = [];
  #pending = 0;
  #dropped = 0;
  /** Where the last peeked batch ends: records up to it are in a shipper's hands, being delivered. */
  #inflightEnd: SpoolPosition | undefined;
  /** Records of that batch the size bound pushed out: they count as dropped only if it is never committed. */
  #evictedInFlight = new Map<string, number>();
  #lock: Promise<unknown> = Promise.resolve();
  /** Reused by every flush to build lines in: fresh memory for each batch would cost a page fault per 4 KiB. */
  #out = Buffer.allocUnsafe(1 << 20);
  readonly #o: Required<Omit<SpoolOptions<T>, 'onDrop'>> & Pick<SpoolOptions<T>, 'onDrop'>;

  private constructor(o: SpoolOptions<T>) {
    this.#o = { segmentBytes: 1 << 20, now: Date.now, decode: (json) => parseJson(json) as T | undefined, ...o };
  }

  static async open<T>(o: SpoolOptions<T>): Promise<Spool<T>> {
    const s = new Spool<T>(o);
    await s.#load();
    return s;
  }

  /** Buffers records in memory; they are written and fsynced by the next `flush()` or `peek()`. */
  append(records: readonly T[]): void {
    this.appendLines(LineBytes.of(records.map((r) => JSON.stringify(r))));
  }

  /** As `append`, for records already serialised (each line the JSON of a T); `lines` must stay as they are until the next flush settled. */
  appendLines(lines: LineBytes): void {
    if (lines.count > 0) this.#buffer.push({ t: this.#o.now(), pieces: lines.pieces(), keeps: lines.keeps(), levels: lines.levels() });
  }

  flush(): Promise<void> { return this.#locked(() => this.#flush()); }

  /** The next batch from the committed position (at least one record if any is pending). */
  peek(maxRecords: number, maxBytes: number): Promise<SpoolBatch<T>> {
    return this.#locked(async () => {
      await this.#flush();
      // A batch peeked before and never committed (its delivery failed) lost what the bound pushed out of it.
      this.#settleEvicted();
      const b: SpoolBatch<T> = { records: [], appendedAtMs: [], corrupt: 0, start: { ...this.#pos }, end: { ...this.#pos } };
      let bytes = 0;
      for (const seg of this.#segs) {
        if (seg.seq < b.end.segment) continue;
        const from = seg.seq === b.end.segment ? b.end.offset : 0;
        const buf = await readRange(join(this.#o.dir, segName(seg.seq)), from, seg.size);
        let at = 0;
        for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, at)) {
          const n = b.records.length + b.corrupt;
          if (n >= maxRecords || (n > 0 && bytes + nl + 1 - at > maxBytes)) return b;
          const line = splitLine(buf.toString('utf8', at, nl));
          const record = line === undefined ? undefined : this.#o.decode(line.record);
          if (line !== undefined && record !== undefined) {
            b.records.push(record);
            b.appendedAtMs.push(line.t);
          } else b.corrupt++;
          bytes += nl + 1 - at;
          at = nl + 1;
          b.end = { segment: seg.seq, offset: from + at };
          this.#inflightEnd = b.end;
        }
      }
      return b;
    });
  }

  /** Marks a peeked batch delivered. A batch already passed (e.g. dropped meanwhile) is a no-op. */
  commit(batch: SpoolBatch<T>): Promise<void> {
    return this.#locked(async () => {
      if (cmp(batch.end, this.#pos) <= 0) {
        // Passed by the size bound while it was being delivered: delivered after all, not dropped.
        if (this.#inflightEnd !== undefined && cmp(batch.end, this.#inflightEnd) === 0) this.#evictedInFlight.clear();
        this.#inflightEnd = undefined;
        return;
      }
      this.#inflightEnd = undefined;
      const n = cmp(batch.start, this.#pos) === 0 ? batch.records.length + batch.corrupt : await countLines(this.#o.dir, this.#segs, this.#pos, batch.end);
      this.#pending -= n;
      if (batch.corrupt > 0) this.#countDropped(batch.corrupt, 'corrupt');
      await this.#advance(batch.end);
    });
  }

  stats(): Promise<SpoolStats> {
    return this.#locked(async () => {
      const bytes = this.#pendingBytes();
      let oldestAgeMs = 0;
      const head = this.#segs.find((s) => s.seq === this.#pos.segment);
      if (this.#pending > 0 && head) {
        const buf = await readRange(join(this.#o.dir, segName(head.seq)), this.#pos.offset, Math.min(head.size, this.#pos.offset + 65536));
        const nl = buf.indexOf(10);
        const p = nl >= 0 ? splitLine(buf.toString('utf8', 0, nl)) : undefined;
        if (p) oldestAgeMs = Math.max(0, this.#o.now() - p.t);
      }
      return { bytes, records: this.#pending, oldestAgeMs, dropped: this.#dropped };
    });
  }

  close(): Promise<void> {
    return this.#locked(async () => {
      this.#settleEvicted();
      await this.#flush();
      await this.#fh?.close();
      this.#fh = undefined;
    });
  }

  #locked<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #pendingBytes(): number {
    return this.#segs.reduce((sum, s) => sum + s.size, 0) - this.#pos.offset;
  }

  #settleEvicted(): void {
    this.#countDroppedByLevel(this.#evictedInFlight, 'overflow');
    this.#evictedInFlight.clear();
    this.#inflightEnd = undefined;
  }

  #countDropped(n: number, reason: 'overflow' | 'corrupt', level = ''): void {
    this.#dropped += n;
    this.#o.onDrop?.(n, reason, level);
  }

  #countDroppedByLevel(counts: ReadonlyMap<string, number>, reason: 'overflow' | 'corrupt'): void {
    for (const [level, n] of counts) if (n > 0) this.#countDropped(n, reason, level);
  }

  async #load(): Promise<void> {
    const loaded = await loadSegments(this.#o.dir);
    this.#segs = loaded.segs;
    this.#pos = loaded.pos;
    this.#pending = loaded.pending;
    await this.#openActive();
  }

  async #openActive(): Promise<void> {
    const last = this.#segs[this.#segs.length - 1];
    if (last) this.#fh = await open(join(this.#o.dir, segName(last.seq)), 'a');
  }

  async #flush(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const runs = this.#buffer;
    this.#buffer = [];
    // Segments filled by this flush, still open: made durable with the active one at its end, in one wait.
    const rolled: FileHandle[] = [];
    let lines: number;
    try {
      lines = await this.#writeRuns(runs, rolled);
      // fsyncs issued together share the file system's journal commits: one wait for the disk per flush, not three
      // per segment rolled (the full segment, the directory naming the new one, then the new one).
      await Promise.all([this.#fh?.sync(), ...rolled.map((fh) => fh.sync()), rolled.length > 0 ? syncDir(this.#o.dir) : undefined]);
    } finally {
      await Promise.allSettled(rolled.map((fh) => fh.close()));
    }
    this.#pending += lines;
    await this.#enforceBound();
  }

  /** Writes `runs` as spool lines, rolling to a new segment when one is full (into `rolled`); returns the lines written. */
  async #writeRuns(runs: readonly Run[], rolled: FileHandle[]): Promise<number> {
    // Lines are built in #out, whose first `fill` bytes are written when it is full, when the segment is, and at the end.
    let fill = 0;
    let lines = 0;
    for (const { t, pieces, keeps, levels } of runs) {
      const heads = new Map<string, Buffer>();
      let index = 0;
      for (const src of pieces) {
        for (let from = 0, lf = src.indexOf(10); lf >= 0; from = lf + 1, lf = src.indexOf(10, from), lines++) {
          const keep = keeps[index] ?? 1;
          const level = levels[index++] ?? '';
          const key = `${String(keep)}${level}`;
          let head = heads.get(key);
          if (head === undefined) {
            head = Buffer.from(`{"t":${String(t)},"k":${String(keep)},${level === '' ? '' : `"l":${JSON.stringify(level)},`}"r":`);
            heads.set(key, head);
          }
          const most = head.length + lf - from + 2;
          if (this.#out.length - fill < most) {
            fill = await this.#writeOut(fill);
            if (this.#out.length < most) this.#out = Buffer.allocUnsafe(most);
          }
          let end = spoolLine(this.#out, fill, head, src.subarray(from, lf));
          const lineBytes = end - fill;
          const { size } = this.#active();
          // The line starts the next segment, unless the active one is empty (a longer line gets a segment of its own).
          if (size + fill > 0 && size + end > this.#o.segmentBytes) {
            await this.#writeOut(fill);
            rolled.push(await this.#roll());
            this.#out.copyWithin(0, fill, end);
            end -= fill;
          }
          const { kept } = this.#active();
          kept[keep] = (kept[keep] ?? 0) + lineBytes;
          fill = end;
        }
      }
    }
    await this.#writeOut(fill);
    return lines;
  }

  /** The segment appended to; throws once the spool is closed. */
  #active(): Segment {
    const segment = this.#segs[this.#segs.length - 1];
    if (!segment || !this.#fh) throw new Error('spool is closed');
    return segment;
  }

  /** Appends the first `bytes` of #out to the active segment; returns 0, what is left in #out. */
  async #writeOut(bytes: number): Promise<number> {
    const segment = this.#active();
    if (bytes > 0) await this.#fh?.write(this.#out, 0, bytes);
    segment.size += bytes;
    return 0;
  }

  /** Starts the next segment; returns the full one's handle, open, for the flush to sync and close. */
  async #roll(): Promise<FileHandle> {
    const full = this.#fh;
    if (full === undefined) throw new Error('spool is closed');
    this.#segs.push(newSegment(this.#active().seq + 1));
    await this.#openActive();
    return full;
  }

  /** Over the bound, class by class from the least useful: first the oldest of a class, then the class wherever else it is. */
  async #enforceBound(): Promise<void> {
    let excess = this.#pendingBytes() - this.#o.maxBytes;
    for (let keep = 0; keep < KEEP_CLASSES && excess > 0; keep++) {
      excess -= await this.#dropHead(excess, keep);
      if (keep < KEEP_CLASSES - 1 && excess > 0) excess -= await this.#dropByKeep(excess, keep);
    }
  }

  /** Drops the oldest records while they are of class `upTo` or lower, until `excess` bytes are gone; returns the bytes freed. */
  async #dropHead(excess: number, upTo: number): Promise<number> {
    const drop = await headDrop(this.#o.dir, this.#segs, this.#pos, excess, upTo, this.#inflightEnd);
    if (drop.removed === 0) return 0;
    this.#pending -= drop.removed;
    // Records a shipper is delivering right now are dropped only if that delivery never commits.
    for (const [level, n] of drop.evicted) this.#evictedInFlight.set(level, (this.#evictedInFlight.get(level) ?? 0) + n);
    this.#countDroppedByLevel(drop.dropped, 'overflow');
    await this.#advance(drop.to);
    return drop.freed;
  }

  /**
   * Rewrites segments without their records of class `upTo` or lower, oldest segment first, until `excess` bytes are
   * gone; returns the bytes freed. What a reader holds stays byte for byte: the committed head of the first segment
   * and any batch being delivered.
   */
  async #dropByKeep(excess: number, upTo: number): Promise<number> {
    const inflight = this.#inflightEnd;
    let freed = 0;
    for (const s of this.#segs) {
      if (freed >= excess) break;
      if (inflight !== undefined && s.seq < inflight.segment) continue;
      const held = Math.max(s.seq === this.#pos.segment ? this.#pos.offset : 0, s.seq === inflight?.segment ? inflight.offset : 0);
      if (held < s.size && s.kept.some((bytes, k) => k <= upTo && bytes > 0)) freed += await this.#rewriteWithout(s, upTo, held);
    }
    return freed;
  }

  /** Replaces segment `s` by its first `held` bytes and its later lines above class `upTo` (a temporary file renamed over it). */
  async #rewriteWithout(s: Segment, upTo: number, held: number): Promise<number> {
    const path = join(this.#o.dir, segName(s.seq));
    const active = s === this.#segs[this.#segs.length - 1];
    const drop = await withoutClass(this.#o.dir, s, held, upTo);
    s.kept = drop.kept;
    if (drop.count === 0) return 0;
    if (active) {
      await this.#fh?.close();
      this.#fh = undefined;
    }
    await writeFileAtomic(path, drop.bytes);
    if (active) await this.#openActive();
    const freed = s.size - drop.bytes.length;
    s.size = drop.bytes.length;
    this.#pending -= drop.count;
    this.#countDroppedByLevel(drop.dropped, 'overflow');
    return freed;
  }

  /** Persists `to` as the committed position, then deletes fully consumed segments. */
  async #advance(to: SpoolPosition): Promise<void> {
    let pos = { ...to };
    for (let i = 0; i < this.#segs.length - 1; i++) {
      const s = this.#segs[i];
      const next = this.#segs[i + 1];
      if (s && next && s.seq === pos.segment && pos.offset >= s.size) pos = { segment: next.seq, offset: 0 };
    }
    await writeFileAtomic(join(this.#o.dir, 'position.json'), JSON.stringify(pos));
    this.#pos = pos;
    const gone = this.#segs.filter((s) => s.seq < pos.segment);
    this.#segs = this.#segs.filter((s) => s.seq >= pos.segment);
    for (const s of gone) await rm(join(this.#o.dir, segName(s.seq)), { force: true });
  }
}
