import { open, rename } from 'node:fs/promises';

/** On-disk helpers for the spool: segment names, line and position parsing, ranged reads, crash-safe replacement. */
export interface SpoolPosition { segment: number; offset: number }

/** A segment file; `kept`: bytes of its lines per keep class. */
export interface Segment { seq: number; size: number; kept: number[] }

export function segName(seq: number): string {
  return `seg-${String(seq).padStart(12, '0')}.jsonl`;
}

/** Bytes [from, to) of a file (fewer if the file is shorter). */
export async function readRange(path: string, from: number, to: number): Promise<Buffer> {
  const len = Math.max(0, to - from);
  const buf = Buffer.alloc(len);
  if (len === 0) return buf;
  const fh = await open(path, 'r');
  try {
    let got = 0;
    while (got < len) {
      const { bytesRead } = await fh.read(buf, got, len - got, from + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === len ? buf : buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/** fsync a directory so that creations, renames and deletions in it are durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write temp file, fsync it, rename over `path`, fsync the directory: readers see old or new, never half. */
export async function writeFileAtomic(path: string, text: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await syncDir(path.slice(0, Math.max(1, path.lastIndexOf('/'))));
}

/** Writes one spool line into `out` at `at`: `head` (`{"t":<append ms>,"r":`), the record's JSON, `}` and LF; returns its end. */
export function spoolLine(out: Buffer, at: number, head: Buffer, record: Uint8Array): number {
  let end = at + head.copy(out, at);
  out.set(record, end);
  end += record.length;
  return out.writeUInt16BE(0x7d0a, end); // "}\n"
}

// The head spoolLine writes (`{"t":<ms>,"k":<class>,"l":"<level>","r":`); the class and level are missing from lines
// written by earlier versions.
const HEAD = /^\{"t":(\d+),(?:"k":\d+,)?(?:"l":"[a-z]*",)?"r":/;

/**
 * One spool line cut into its append time and its record's JSON, which is left for the spool's decoder to read;
 * undefined when corrupt.
 */
export function splitLine(text: string): { t: number; record: string } | undefined {
  const head = HEAD.exec(text);
  if (head !== null && text.endsWith('}')) return { t: Number(head[1]), record: text.slice(head[0].length, -1) };
  // Any other order of the same keys is still a spool line.
  try {
    const v = JSON.parse(text) as { t?: unknown; r?: unknown } | null;
    return v && typeof v.t === 'number' && 'r' in v ? { t: v.t, record: JSON.stringify(v.r) } : undefined;
  } catch {
    return undefined;
  }
}

export async function readPosition(path: string): Promise<SpoolPosition | undefined> {
  try {
    const fh = await open(path, 'r');
    const text = await fh.readFile('utf8').finally(() => fh.close());
    const v = JSON.parse(text) as Partial<SpoolPosition>;
    return typeof v.segment === 'number' && typeof v.offset === 'number' ? { segment: v.segment, offset: v.offset } : undefined;
  } catch {
    return undefined;
  }
}
