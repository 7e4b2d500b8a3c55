// Lines encoded as UTF-8 as they come, into chunks of memory reused from batch to batch. A backlog of records
// waiting for the disk is then neither objects nor strings that every scavenge copies, and a batch neither copies
// what it holds to grow nor pays the page faults of fresh memory (a large cost where memory is virtualised).
import { KEEP } from './keep.js';

const CHUNK_BYTES = 256 << 10;
/**
 * Chunks given back by clear() for the next lines, shared by every LineBytes: as many as two spooled sinks (Loki and
 * syslog) hold at the log pipeline's default bound; beyond 12 MiB the GC takes them.
 */
const spare: Buffer[] = [];
const MAX_SPARE = 48;
const LF = 0x0a;

export class LineBytes {
  /** In order, with the bytes used in each; a line never straddles two. */
  readonly #chunks: Buffer[] = [];
  readonly #used: number[] = [];
  /** Each line's keep class (see keep.ts) and level name ('' unknown), in order. */
  readonly #keeps: number[] = [];
  readonly #levels: string[] = [];
  #count = 0;

  static of(texts: readonly string[]): LineBytes {
    const lines = new LineBytes();
    for (const text of texts) lines.push(text);
    return lines;
  }

  /** Appends `text` (holding no LF, as JSON.stringify's output never does) and an LF; `keep`: its keep class. */
  push(text: string, keep: number = KEEP.routine, level = ''): void {
    // Three bytes per UTF-16 unit at most, and the LF.
    const most = text.length * 3 + 1;
    let last = this.#chunks.length - 1;
    let chunk = this.#chunks[last];
    let at = this.#used[last] ?? 0;
    if (chunk === undefined || chunk.length - at < most) {
      // A line longer than a chunk gets a buffer of its own, of its exact size: three bytes per unit would hold a
      // 2 MB record in 6 MB.
      chunk = most <= CHUNK_BYTES ? (spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)) : Buffer.allocUnsafe(Buffer.byteLength(text) + 1);
      last = this.#chunks.push(chunk) - 1;
      at = 0;
    }
    at += chunk.write(text, at);
    chunk[at++] = LF;
    this.#used[last] = at;
    this.#keeps.push(keep);
    this.#levels.push(level);
    this.#count++;
  }

  /** Lines pushed since the last clear. */
  get count(): number {
    return this.#count;
  }

  /** The lines, each ending in LF, in pieces: views that clear() makes invalid. */
  pieces(): Buffer[] {
    return this.#chunks.map((chunk, i) => chunk.subarray(0, this.#used[i]));
  }

  /** The keep class of each line, in order; valid until clear(). */
  keeps(): readonly number[] {
    return this.#keeps;
  }

  /** The level name of each line ('' unknown), in order; valid until clear(). */
  levels(): readonly string[] {
    return this.#levels;
  }

  clear(): void {
    for (const chunk of this.#chunks) if (chunk.length === CHUNK_BYTES && spare.length < MAX_SPARE) spare.push(chunk);
    this.#chunks.length = 0;
    this.#used.length = 0;
    this.#keeps.length = 0;
    this.#levels.length = 0;
    this.#count = 0;
  }
}
