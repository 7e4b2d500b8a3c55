// How many bytes of lines one Loki push may carry. Loki's rate limiter is a token bucket: a push larger than the
// tenant's burst is refused with a 429 however long the shipper waits, and the burst is not in Loki's answer, only
// the rate. So after a rate-limit answer the size drops to half the rate Loki names (its burst is at least the rate
// in any sane setup, and other writers share the bucket), or to half the refused push when Loki names no rate; it
// grows back, doubling, after a run of accepted pushes. Pure: the shipper tells it what happened.

/** Never below this: a push of a few lines is as cheap as it gets for Loki's limiter. */
export const MIN_PUSH_BYTES = 4096;
/** Accepted pushes in a row before the size doubles again. */
export const GROW_AFTER = 8;

export class PushSize {
  readonly #max: number;
  #bytes: number;
  #accepted = 0;

  constructor(maxBytes: number) {
    this.#max = Math.max(MIN_PUSH_BYTES, maxBytes);
    this.#bytes = this.#max;
  }

  /** The most line bytes the next push may carry (a single larger record still goes alone). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Loki refused a push of `pushBytes` for its rate; `limit` is the rate it named, in bytes per second. */
  limited(pushBytes: number, limit?: number): void {
    this.#accepted = 0;
    const target = Math.floor((limit ?? pushBytes) / 2);
    this.#bytes = Math.max(MIN_PUSH_BYTES, Math.min(this.#bytes, target));
  }

  accepted(): void {
    if (++this.#accepted < GROW_AFTER || this.#bytes >= this.#max) return;
    this.#accepted = 0;
    this.#bytes = Math.min(this.#max, this.#bytes * 2);
  }
}

/**
 * How many of `items`, from index `from` on, one push takes: as many as add up to at most `max`, and always at least
 * one (an item larger than `max` goes alone). Asked afresh for each push, so a size that shrank applies at once.
 */
export function fitting<T>(items: readonly T[], from: number, size: (item: T) => number, max: number): number {
  let bytes = 0;
  let n = 0;
  while (from + n < items.length) {
    const item = items[from + n] as T;
    bytes += size(item);
    if (n > 0 && bytes > max) break;
    n++;
  }
  return n;
}
