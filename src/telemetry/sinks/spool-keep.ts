// Keep classes and levels in spool lines (see telemetry/logs/keep.ts): each line is
// `{"t":<append ms>,"k":<class>,"l":"<level>","r":<record>}`, so a spool over its bound can drop the least useful
// records from a segment, and count them by level, without parsing them. Lines written before classes existed have
// no "k" and count as routine; a line without "l" has no known level. Pure.

export const KEEP_CLASSES = 4;
const ROUTINE = 1;
const MARK = Buffer.from(',"k":');
const LEVEL_MARK = Buffer.from(',"l":"');
const QUOTE = 0x22;
const DIGIT_0 = 0x30;

/** The keep class of the spool line in buf[from, to). */
export function lineKeep(buf: Buffer, from: number, to: number): number {
  // After `{"t":` and its digits.
  let i = from + 5;
  while (i < to && (buf[i] ?? 0) >= DIGIT_0 && (buf[i] ?? 0) <= DIGIT_0 + 9) i++;
  if (i + MARK.length >= to || buf.compare(MARK, 0, MARK.length, i, i + MARK.length) !== 0) return ROUTINE;
  const k = (buf[i + MARK.length] ?? 0) - DIGIT_0;
  return k >= 0 && k < KEEP_CLASSES ? k : ROUTINE;
}

/** The level name of the spool line in buf[from, to), or '' when it has none. */
export function lineLevel(buf: Buffer, from: number, to: number): string {
  // After `,"k":<digit>`, within the head.
  const at = buf.indexOf(LEVEL_MARK, from);
  if (at < 0 || at > Math.min(to, from + 48)) return '';
  const end = buf.indexOf(QUOTE, at + LEVEL_MARK.length);
  return end < 0 || end > to ? '' : buf.toString('latin1', at + LEVEL_MARK.length, end);
}

/** Adds one to `level`'s count. */
export function countLevel(counts: Map<string, number>, level: string): void {
  counts.set(level, (counts.get(level) ?? 0) + 1);
}

/** Bytes of lines per keep class in `buf` (whole lines, each ending in LF). */
export function keptBytes(buf: Buffer): number[] {
  const kept = new Array<number>(KEEP_CLASSES).fill(0);
  for (let at = 0, nl = buf.indexOf(10); nl >= 0; at = nl + 1, nl = buf.indexOf(10, at)) {
    const k = lineKeep(buf, at, nl);
    kept[k] = (kept[k] ?? 0) + nl + 1 - at;
  }
  return kept;
}

/** `buf`'s lines without those of class `upTo` or lower: the rest, and how many lines went, by level. */
export function withoutKeep(buf: Buffer, upTo: number): { rest: Buffer; dropped: Map<string, number> } {
  const parts: Buffer[] = [];
  const dropped = new Map<string, number>();
  for (let at = 0, nl = buf.indexOf(10); nl >= 0; at = nl + 1, nl = buf.indexOf(10, at)) {
    if (lineKeep(buf, at, nl) <= upTo) countLevel(dropped, lineLevel(buf, at, nl));
    else parts.push(buf.subarray(at, nl + 1));
  }
  return { rest: Buffer.concat(parts), dropped };
}
