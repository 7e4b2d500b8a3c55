// What a spool over its bound drops, read from its segment files: the oldest records while they are of the class
// being dropped, and a segment without that class. The spool applies what these find to its own state (positions,
// counts, the active file), so the reading and the bookkeeping stay apart.
import { join } from 'node:path';
import { readRange, type Segment, segName, type SpoolPosition } from './spool-files.js';
import { countLevel, keptBytes, lineKeep, lineLevel, withoutKeep } from './spool-keep.js';

export const comparePositions = (a: SpoolPosition, b: SpoolPosition): number => a.segment - b.segment || a.offset - b.offset;

/** What the head drop reads at a time. */
const HEAD_WINDOW_BYTES = 64 << 10;

export interface HeadDrop {
  /** The new head: where the first record kept starts. */
  readonly to: SpoolPosition;
  readonly freed: number;
  readonly removed: number;
  /** Dropped, by level: now (`dropped`), or only if the delivery holding them never commits (`evicted`). */
  readonly dropped: Map<string, number>;
  readonly evicted: Map<string, number>;
}

/**
 * The oldest records from `head` on while they are of class `upTo` or lower, until `excess` bytes; `inflightEnd`:
 * where the batch a shipper is delivering ends.
 */
export async function headDrop(dir: string, segs: readonly Segment[], head: SpoolPosition, excess: number, upTo: number, inflightEnd: SpoolPosition | undefined): Promise<HeadDrop> {
  const drop = { to: { ...head }, freed: 0, removed: 0, dropped: new Map<string, number>(), evicted: new Map<string, number>() };
  let blocked = false;
  for (const s of segs) {
    if (s.seq < drop.to.segment || drop.freed >= excess || blocked) continue;
    const path = join(dir, segName(s.seq));
    let from = s.seq === drop.to.segment ? drop.to.offset : 0;
    // Read in windows: this runs once per class on every flush over the bound, and the oldest record is often of a
    // class kept longer, which the first window already tells.
    for (let window = HEAD_WINDOW_BYTES; from < s.size && drop.freed < excess && !blocked; ) {
      const buf = await readRange(path, from, Math.min(s.size, from + window));
      let at = 0;
      for (let nl = buf.indexOf(10); nl >= 0 && drop.freed < excess; nl = buf.indexOf(10, at)) {
        if (lineKeep(buf, at, nl) > upTo) {
          blocked = true;
          break;
        }
        const level = lineLevel(buf, at, nl);
        drop.freed += nl + 1 - at;
        at = nl + 1;
        drop.removed++;
        const inflight = inflightEnd !== undefined && comparePositions({ segment: s.seq, offset: from + at }, inflightEnd) <= 0;
        countLevel(inflight ? drop.evicted : drop.dropped, level);
      }
      if (at === 0 && !blocked) {
        // A line longer than the window: read more of it, up to the segment's end.
        if (from + window >= s.size) break;
        window *= 2;
      }
      from += at;
    }
    drop.to = { segment: s.seq, offset: from };
  }
  return drop;
}

export interface ClassDrop {
  /** The segment's new content: its first `held` bytes as they were, then its lines above the class. */
  readonly bytes: Buffer;
  /** Bytes per keep class after `held`. */
  readonly kept: number[];
  readonly dropped: Map<string, number>;
  readonly count: number;
}

/** Segment `s` (in `dir`) without its lines of class `upTo` or lower after its first `held` bytes. */
export async function withoutClass(dir: string, s: Segment, held: number, upTo: number): Promise<ClassDrop> {
  const buf = await readRange(join(dir, segName(s.seq)), 0, s.size);
  const { rest, dropped } = withoutKeep(buf.subarray(held), upTo);
  const count = [...dropped.values()].reduce((a, b) => a + b, 0);
  return { bytes: count === 0 ? buf : Buffer.concat([buf.subarray(0, held), rest]), kept: keptBytes(rest), dropped, count };
}
