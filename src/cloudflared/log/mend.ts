// Puts torn `--output json` lines back together. cloudflared re-encodes each event with a jsoniter encoder writing
// straight to stderr (logger/console.go), one write per key-value pair: `{"k":v`, then `,"k":v` per further key in
// sorted order, then `}\n`. Goroutines logging at the same instant interleave those writes, e.g.
// `{"connIndex":2,...,"time":"…"{"connIndex":1,...}` followed by a line holding a lone `}`. Every piece is
// self-delimiting, so a line is cut back into pieces and each piece is given to an open event: a `,"k":v` goes to
// the most recently written open event whose last key is below k (keys are written in ascending order, and a
// goroutine writes its pieces in a burst), a `}` closes
// the open event that most recently got its `time` (zerolog stamps every event, and a goroutine writes its `}`
// right after its last key-value). Bursts, the way goroutines write, come back exact; under a finer interleaving a
// piece may land in the wrong event or stand alone (kept as text), but no event and no piece is lost. Pure.
import { findClosingQuote } from '../../go/index.js';

/** One write of the encoder: the opening key-value, a further key-value, or the end of an event. */
type Piece = { readonly kind: 'open' | 'more'; readonly key: string; readonly text: string } | { readonly kind: 'end' };

interface OpenEvent {
  readonly parts: string[];
  readonly keys: Set<string>;
  lastKey: string;
  /** When the event last took a piece (a counter), and whether it carries zerolog's timestamp yet. */
  touched: number;
  timed: boolean;
  /** Lines seen since it opened. */
  age: number;
}

export interface Mended {
  /** Whole JSON events, in the order they were closed. */
  readonly events: string[];
  /** Pieces no open event could take (kept as text, never dropped). */
  readonly orphans: string[];
}

/** An event left open longer than this many lines is closed with what it has. */
const MAX_AGE_LINES = 64;
/** Open events kept at most; the oldest is closed with what it has when more open. */
const MAX_OPEN = 16;

/** The index after the string literal whose opening quote is at `at`, or -1. */
function skipString(text: string, at: number): number {
  const close = findClosingQuote(text, at);
  return close === -1 ? -1 : close + 1;
}

const SCALAR = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** The index after the JSON value starting at `at`, or -1. Nested values are written whole, in one piece. */
function skipValue(text: string, at: number): number {
  const c = text.charCodeAt(at);
  if (c === 34) return skipString(text, at);
  if (c === 123 || c === 91) {
    let depth = 0;
    for (let i = at; i < text.length; i++) {
      const d = text.charCodeAt(i);
      if (d === 34) {
        i = skipString(text, i) - 1;
        if (i < 0) return -1;
      } else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }
  SCALAR.lastIndex = at;
  return SCALAR.exec(text) === null ? -1 : SCALAR.lastIndex;
}

/** The pieces of a line made only of encoder writes, or undefined when the line is anything else. */
export function splitPieces(line: string): Piece[] | undefined {
  const pieces: Piece[] = [];
  let at = 0;
  while (at < line.length) {
    const c = line.charCodeAt(at);
    if (c === 125) {
      pieces.push({ kind: 'end' });
      at++;
      continue;
    }
    if ((c !== 123 && c !== 44) || line.charCodeAt(at + 1) !== 34) return undefined;
    const keyEnd = skipString(line, at + 1);
    if (keyEnd < 0 || line.charCodeAt(keyEnd) !== 58) return undefined;
    const valueEnd = skipValue(line, keyEnd + 1);
    if (valueEnd < 0) return undefined;
    let key: string;
    try {
      key = JSON.parse(line.slice(at + 1, keyEnd)) as string;
    } catch {
      return undefined;
    }
    pieces.push({ kind: c === 123 ? 'open' : 'more', key, text: line.slice(at + 1, valueEnd) });
    at = valueEnd;
  }
  return pieces;
}

export class JsonMender {
  #open: OpenEvent[] = [];
  #pieces = 0;

  /** Some event is waiting for pieces: every line must go through mend(), even one that parses. */
  get pending(): boolean {
    return this.#open.length > 0;
  }

  /**
   * Takes one line that failed to parse as a JSON event (or any line while pending): its pieces are given to
   * open events. Undefined when the line is not made of encoder writes (it is then left to the caller as it is).
   */
  mend(line: string): Mended | undefined {
    const pieces = splitPieces(line);
    if (pieces === undefined || pieces.length === 0) return undefined;
    const out: Mended = { events: [], orphans: [] };
    for (const event of this.#open) event.age++;
    for (const piece of pieces) this.#take(piece, out);
    for (const stale of this.#open.filter((e) => e.age > MAX_AGE_LINES)) this.#close(stale, out);
    return out;
  }

  /** Closes every open event with what it has (the stream ended or the process exited). */
  flush(): string[] {
    const out: Mended = { events: [], orphans: [] };
    for (const event of [...this.#open]) this.#close(event, out);
    return out.events;
  }

  #take(piece: Piece, out: Mended): void {
    this.#pieces++;
    if (piece.kind === 'open') {
      if (this.#open.length >= MAX_OPEN && this.#open[0] !== undefined) this.#close(this.#open[0], out);
      this.#open.push({ parts: [piece.text], keys: new Set([piece.key]), lastKey: piece.key, touched: this.#pieces, timed: piece.key === 'time', age: 0 });
      return;
    }
    if (piece.kind === 'more') {
      // A piece whose owner already lost its place in key order to another's piece goes to an event without that key.
      const best = this.#latest((e) => e.lastKey < piece.key) ?? this.#latest((e) => !e.keys.has(piece.key));
      if (best === undefined) {
        out.orphans.push(`,${piece.text}`);
        return;
      }
      best.parts.push(piece.text);
      best.keys.add(piece.key);
      if (best.lastKey < piece.key) best.lastKey = piece.key;
      best.touched = this.#pieces;
      if (piece.key === 'time') best.timed = true;
      return;
    }
    const ended = this.#latest((e) => e.timed) ?? this.#latest(() => true);
    if (ended === undefined) out.orphans.push('}');
    else this.#close(ended, out);
  }

  /** The most recently written open event that `fits`. */
  #latest(fits: (event: OpenEvent) => boolean): OpenEvent | undefined {
    let best: OpenEvent | undefined;
    for (const event of this.#open) if (fits(event) && (best === undefined || event.touched > best.touched)) best = event;
    return best;
  }

  #close(event: OpenEvent, out: Mended): void {
    this.#open = this.#open.filter((e) => e !== event);
    out.events.push(`{${event.parts.join(',')}}`);
  }
}
