// A spool's segment files as a start finds them: leftovers of an interrupted rewrite removed, segments already
// consumed deleted, a partial last line (a crash mid-write, never acknowledged) cut off, and what is pending counted.
import { mkdir, open, readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { readPosition, readRange, type Segment, segName, type SpoolPosition } from './spool-files.js';
import { KEEP_CLASSES, keptBytes } from './spool-keep.js';

export const newSegment = (seq: number, size = 0): Segment => ({ seq, size, kept: new Array<number>(KEEP_CLASSES).fill(0) });

/** Lines in `segs` from `from` up to `to`. */
export async function countLines(dir: string, segs: readonly Segment[], from: SpoolPosition, to: SpoolPosition): Promise<number> {
  let n = 0;
  for (const s of segs) {
    if (s.seq < from.segment || s.seq > to.segment) continue;
    const start = s.seq === from.segment ? from.offset : 0;
    const end = s.seq === to.segment ? Math.min(to.offset, s.size) : s.size;
    const buf = await readRange(join(dir, segName(s.seq)), start, end);
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** The segments of the spool in `dir` (created if missing), its committed position and its pending records. */
export async function loadSegments(dir: string): Promise<{ segs: Segment[]; pos: SpoolPosition; pending: number }> {
  await mkdir(dir, { recursive: true });
  const names = await readdir(dir);
  for (const n of names) if (n.endsWith('.tmp')) await rm(join(dir, n), { force: true });
  const seqs = names.flatMap((n) => /^seg-(\d+)\.jsonl$/.exec(n)?.[1] ?? []).map(Number).sort((a, b) => a - b);
  let pos = (await readPosition(join(dir, 'position.json'))) ?? { segment: 1, offset: 0 };
  const segs: Segment[] = [];
  for (const seq of seqs) {
    if (seq < pos.segment) { await rm(join(dir, segName(seq)), { force: true }); continue; }
    const fh = await open(join(dir, segName(seq)), 'r');
    const { size } = await fh.stat();
    await fh.close();
    segs.push(newSegment(seq, size));
  }
  const first = segs[0];
  if (!first || first.seq > pos.segment) pos = { segment: first?.seq ?? Math.max(1, pos.segment), offset: 0 };
  if (!first) segs.push(newSegment(pos.segment));
  const last = segs[segs.length - 1];
  if (last && last.size > 0) {
    const buf = await readRange(join(dir, segName(last.seq)), 0, last.size);
    const keep = buf.lastIndexOf(10) + 1;
    if (keep < last.size) { await truncate(join(dir, segName(last.seq)), keep); last.size = keep; }
  }
  const head = segs.find((s) => s.seq === pos.segment);
  if (head && pos.offset > head.size) pos.offset = head.size;
  const pending = await countLines(dir, segs, pos, { segment: Number.MAX_SAFE_INTEGER, offset: 0 });
  for (const s of segs) s.kept = keptBytes(await readRange(join(dir, segName(s.seq)), s.seq === pos.segment ? pos.offset : 0, s.size));
  return { segs, pos, pending };
}
