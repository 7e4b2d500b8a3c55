// Splits a byte stream into whole lines. Lines end at LF (one trailing CR is stripped). The split happens on
// bytes, so a multi-byte UTF-8 character is never cut by a chunk boundary (LF never occurs inside one).
// Memory is bounded: at most maxBytes + 1 bytes of a line are kept; a longer line is emitted at once,
// truncated and flagged, and its remaining bytes are skipped up to the next LF.

export interface Line {
  readonly line: string;
  /** The line was longer than maxBytes and was cut (at a UTF-8 character boundary). */
  readonly truncated: boolean;
}

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
  /** The current line was already emitted truncated: skip bytes up to the next LF. */
  #skipping = false;

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
      if (!this.#skipping) this.#append(bytes.subarray(start, end), out);
      if (lf === -1) break;
      if (this.#skipping) this.#skipping = false;
      else out.push(this.#take());
      start = lf + 1;
    }
    return out;
  }

  /** Ends the stream: the final partial line, if any. */
  end(): Line[] {
    if (this.#skipping) {
      this.#skipping = false;
      return [];
    }
    return this.#length === 0 ? [] : [this.#take()];
  }

  #append(piece: Buffer, out: Line[]): void {
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
    out.push({ line: bytes.subarray(0, charBoundary(bytes, this.#maxBytes)).toString('utf8'), truncated: true });
    this.#skipping = true;
  }

  #drain(): Buffer {
    const bytes = this.#parts.length === 1 ? (this.#parts[0] ?? Buffer.alloc(0)) : Buffer.concat(this.#parts, this.#length);
    this.#parts = [];
    this.#length = 0;
    return bytes;
  }

  #take(): Line {
    let bytes = this.#drain();
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > this.#maxBytes) {
      return { line: bytes.subarray(0, charBoundary(bytes, this.#maxBytes)).toString('utf8'), truncated: true };
    }
    return { line: bytes.toString('utf8'), truncated: false };
  }
}
