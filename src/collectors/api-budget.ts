// This replica's share of the Cloudflare API rate limit (1,200 requests per 5 minutes per token, shared by
// every replica and the dashboard), as a token bucket. A bucket of capacity B refilled at r per ms can hand
// out at most B + r·W in any window W, so r = (limit - B) / W keeps every 5-minute window within the share.
// Pure: time comes in as an argument. Arithmetic is in integers (tokens scaled by the window), so no
// rounding can ever let one request too many through.

export interface ApiBudgetOptions {
  /** settings.edge.budgetShare: the fraction of `limit` this replica may use. */
  readonly share: number;
  /** Requests allowed per window for the whole token (default 1200). */
  readonly limit?: number;
  /** The window in ms (default 300 000). */
  readonly windowMs?: number;
  /** Bucket capacity (default a tenth of the share, at least 2, at most the share). */
  readonly burst?: number;
}

export class ApiBudget {
  /** Whole requests this replica may make in any window. */
  readonly allowance: number;
  readonly burst: number;
  readonly windowMs: number;
  /** Refill per ms, in scaled units (tokens × windowMs): an integer. */
  readonly #refill: number;
  /** Current tokens × windowMs. */
  #scaled: number;
  #last: number | undefined;

  constructor(options: ApiBudgetOptions) {
    const limit = options.limit ?? 1200;
    this.windowMs = Math.max(1, Math.floor(options.windowMs ?? 300_000));
    this.allowance = Math.max(0, Math.floor(options.share * limit));
    const burst = options.burst ?? Math.max(2, Math.floor(this.allowance / 10));
    this.burst = Math.min(this.allowance, Math.max(0, Math.floor(burst)));
    this.#refill = this.allowance - this.burst;
    this.#scaled = this.burst * this.windowMs;
  }

  /** Takes `n` requests at `now` (ms) if the budget holds them; false leaves the budget untouched. */
  tryTake(n: number, now: number): boolean {
    this.#advance(now);
    const need = n * this.windowMs;
    if (n > this.burst || this.#scaled < need) return false;
    this.#scaled -= need;
    return true;
  }

  /** The earliest time (ms) at which `n` requests could be taken, if nothing else is taken first; Infinity if never. */
  nextAvailableAt(n: number, now: number): number {
    this.#advance(now);
    const missing = n * this.windowMs - this.#scaled;
    if (missing <= 0) return now;
    if (n > this.burst || this.#refill === 0) return Number.POSITIVE_INFINITY;
    // Refill counts from the last time seen, which is later than `now` if the clock went back.
    return Math.max(now, this.#last ?? now) + Math.ceil(missing / this.#refill);
  }

  /** Requests (whole, rounded down) available at `now`. */
  available(now: number): number {
    this.#advance(now);
    return Math.floor(this.#scaled / this.windowMs);
  }

  // Whole milliseconds only, so the scaled count stays an integer; a clock that goes back refills nothing.
  #advance(now: number): void {
    const at = Math.floor(now);
    if (this.#last === undefined || at < this.#last) {
      this.#last ??= at;
      return;
    }
    const capacity = this.burst * this.windowMs;
    if (this.#scaled < capacity && this.#refill > 0) {
      // Capping the elapsed time keeps the product small; after burst·window ms the bucket is full anyway.
      const elapsed = Math.min(at - this.#last, capacity);
      this.#scaled = Math.min(capacity, this.#scaled + elapsed * this.#refill);
    }
    this.#last = at;
  }
}
