// Repeated records collapsed with exact counts, as rsyslog's "message repeated N times" and Vector's dedupe do:
// per key, the first `burst` records of a window are shipped as they come; the rest are counted and shipped as one
// summary record when the window ends, carrying the count, the first and last times and the first and last raw
// lines. Shipped records plus every summary's `repeated` always equal the records offered. Pure: no timers; the
// caller asks for due summaries.
import type { LogRecord } from './log-record.js';

export interface RepeatOptions {
  /** 0 turns collapsing off. */
  readonly windowMs: number;
  readonly burst: number;
  /** Distinct keys tracked at once; records of further keys are shipped as they come (bounds memory). */
  readonly maxKeys?: number;
  /**
   * Characters of the first and last records held for summaries, over all keys; beyond it, a key that would start
   * holding records ships them as they come instead (a flood of long lines stays bounded in memory).
   */
  readonly maxHeldChars?: number;
}

/** What holding a record for a summary costs: its raw line and message dominate. */
const charsOf = (r: LogRecord | undefined): number => (r === undefined ? 0 : r.msg.length + (typeof r.raw === 'string' ? r.raw.length : 0));

interface Window {
  readonly start: number;
  shipped: number;
  suppressed: number;
  first?: LogRecord;
  last?: LogRecord;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function summary(w: Window): LogRecord | undefined {
  const { first, last } = w;
  if (first === undefined || last === undefined) return undefined;
  const { raw: firstRaw, ...rest } = first;
  return {
    ...rest,
    time: last.time,
    // A request error has no message, only its error.
    msg: `repeated ${String(w.suppressed)} times between ${iso(first.time)} and ${iso(last.time)}: ${first.msg === '' && typeof first.error === 'string' ? first.error : first.msg}`,
    repeated: w.suppressed,
    first_time: first.time,
    last_time: last.time,
    ...(firstRaw === undefined ? {} : { first_raw: firstRaw }),
    ...(last.raw === undefined ? {} : { last_raw: last.raw }),
  };
}

export class Repeats {
  readonly #o: RepeatOptions;
  readonly #windows = new Map<string, Window>();
  #heldChars = 0;

  constructor(options: RepeatOptions) {
    this.#o = options;
  }

  /** Whether a record of `key` was already shipped in its current window (the next one shipped is a repeat). */
  shippedInWindow(key: string): boolean {
    return (this.#windows.get(key)?.shipped ?? 0) > 0;
  }

  /** True: ship `record` now. False: it was counted into its key's summary. Take due() first, so windows roll. */
  admit(key: string, record: LogRecord, at: number): boolean {
    const { windowMs, burst } = this.#o;
    if (windowMs <= 0) return true;
    let w = this.#windows.get(key);
    if (w === undefined) {
      if (this.#windows.size >= (this.#o.maxKeys ?? 10_000)) return true;
      w = { start: at, shipped: 0, suppressed: 0 };
      this.#windows.set(key, w);
    }
    if (w.shipped < burst) {
      w.shipped++;
      return true;
    }
    if (w.first === undefined) {
      if (this.#heldChars + charsOf(record) > (this.#o.maxHeldChars ?? 8 << 20)) return true;
      w.first = record;
      this.#heldChars += charsOf(record);
    }
    this.#heldChars += charsOf(record) - charsOf(w.last);
    w.suppressed++;
    w.last = record;
    return false;
  }

  /** Closes the windows ended by `at` (all of them without `at`) and returns the summaries of those that held back records. */
  due(at?: number): LogRecord[] {
    const out: LogRecord[] = [];
    for (const [key, w] of this.#windows) {
      if (at !== undefined && at - w.start < this.#o.windowMs) continue;
      this.#windows.delete(key);
      this.#heldChars -= charsOf(w.first) + charsOf(w.last);
      const s = summary(w);
      if (s !== undefined) out.push(s);
    }
    return out;
  }

  /** When the earliest window holding back records ends; undefined when none does. */
  nextDue(): number | undefined {
    let next: number | undefined;
    for (const w of this.#windows.values()) if (w.suppressed > 0 && (next === undefined || w.start + this.#o.windowMs < next)) next = w.start + this.#o.windowMs;
    return next;
  }
}
