// Splits a byte stream into whole lines. Lines end at LF (one trailing CR is stripped). The split happens on
// bytes, so a multi-byte UTF-8 character is never cut by a chunk boundary (LF never occurs inside one).
// Memory is bounded: at most maxBytes + 1 bytes of a line are kept, plus, for a longer line, its last TAIL_BYTES.
// A longer line is emitted truncated and flagged when it ends, with that tail: cloudflared's JSON puts `level`
// and `message` after `error` (its keys are sorted), so a cut error line keeps what it is only in its tail.

export interface Line {
  readonly line: string;
  /** The line was longer than maxBytes and was cut (at a UTF-8 character boundary). */
  readonly truncated: boolean;
  /** Of a truncated line: its last bytes (at most TAIL_BYTES, starting at a character boundary). */
  readonly tail?: string;
}

export const TAIL_BYTES = 4096;

const LF = 0x0a;
const CR = 0x0d;

/** Largest cut ≤ `limit` that does not split a UTF-8 sequence. */
function charBoundary(bytes: Buffer, limit: number): number {
  let cut = Math.min(limit, bytes.length);
  // Move back over continuation bytes (10xxxxxx) so the cut lands on the start of a character.
  for (let back = 0; back < 3 && cut > 0 && cut < bytes.length && ((bytes[cut] ?? 0) & 0xc0) === 0x80; back++) cut--;
  return cut;
}

export class LineSplitter {
  readonly #maxBytes: number;
  #parts: Buffer[] = [];
  #length = 0;
  /** The current line is too long: its head is kept, its middle skipped and its last bytes kept up to the next LF. */
  #cut: { head: string; tail: Buffer } | undefined;

  constructor(maxBytes: number) {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${String(maxBytes)}`);
    this.#maxBytes = maxBytes;
  }

  /** Feeds a chunk; returns the lines it completed (or truncated), in order. */
  push(chunk: Uint8Array): Line[] {
    const out: Line[] = [];
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < bytes.length) {
      const lf = bytes.indexOf(LF, start);
      const end = lf === -1 ? bytes.length : lf;
      // A whole line within the chunk, the common case, is decoded where it is, never copied.
      if (lf !== -1 && this.#length === 0 && this.#cut === undefined && end - start <= this.#maxBytes + 1) {
        out.push(this.#decode(bytes.subarray(start, end)));
        start = lf + 1;
        continue;
      }
      if (this.#cut === undefined) this.#append(bytes.subarray(start, end));
      else this.#keepTail(bytes.subarray(start, end));
      if (lf === -1) break;
      out.push(this.#cut === undefined ? this.#take() : this.#takeCut());
      start = lf + 1;
    }
    return out;
  }

  /** Ends the stream: the final partial line, if any. */
  end(): Line[] {
    if (this.#cut !== undefined) return [this.#takeCut()];
    return this.#length === 0 ? [] : [this.#take()];
  }

  #keepTail(piece: Buffer): void {
    const cut = this.#cut;
    if (cut === undefined || piece.length === 0) return;
    const joined = Buffer.concat([cut.tail, piece]);
    cut.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - TAIL_BYTES)));
  }

  #takeCut(): Line {
    const cut = this.#cut;
    this.#cut = undefined;
    if (cut === undefined) return { line: '', truncated: false };
    let tail = cut.tail;
    if (tail.length > 0 && tail[tail.length - 1] === CR) tail = tail.subarray(0, tail.length - 1);
    // Start the tail on a character: skip continuation bytes (10xxxxxx) the window began inside.
    let from = 0;
    while (from < 3 && from < tail.length && ((tail[from] ?? 0) & 0xc0) === 0x80) from++;
    return { line: cut.head, truncated: true, tail: tail.subarray(from).toString('utf8') };
  }

  #append(piece: Buffer): void {
    if (piece.length === 0) return;
    // Keep one byte beyond the limit: it may be the CR of a CRLF, which does not count.
    const room = this.#maxBytes + 1 - this.#length;
    if (piece.length <= room) {
      // Copied: the caller may reuse its buffer, and a small line must not pin a large chunk.
      this.#parts.push(Buffer.from(piece));
      this.#length += piece.length;
      return;
    }
    this.#parts.push(Buffer.from(piece.subarray(0, room)));
    this.#length += room;
    const bytes = this.#drain();
    const head = charBoundary(bytes, this.#maxBytes);
    this.#cut = { head: bytes.subarray(0, head).toString('utf8'), tail: Buffer.alloc(0) };
    this.#keepTail(Buffer.concat([bytes.subarray(head), piece.subarray(room)]));
  }

  #drain(): Buffer {
    const bytes = this.#parts.length === 1 ? (this.#parts[0] ?? Buffer.alloc(0)) : Buffer.concat(this.#parts, this.#length);
    this.#parts = [];
    this.#length = 0;
    return bytes;
  }

  #take(): Line {
    return this.#decode(this.#drain());
  }

  /** A line's bytes (at most maxBytes + 1, without its LF) to its text. */
  #decode(line: Buffer): Line {
    let bytes = line;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > this.#maxBytes) {
      return { line: bytes.subarray(0, charBoundary(bytes, this.#maxBytes)).toString('utf8'), truncated: true };
    }
    return { line: bytes.toString('utf8'), truncated: false };
  }
}
