// Cloudflare's API rate limit, per token: a fixed budget per window, and once a request goes over it, every
// call is refused for a whole window ("all API calls for the next five minutes will be blocked"). Headers
// follow Cloudflare's: `Ratelimit: "default";r=<remaining>;t=<seconds to reset>`,
// `Ratelimit-Policy: "default";q=<limit>;w=<window seconds>`, and `retry-after` (whole seconds, rounded up)
// only on a 429. Pure apart from the injected clock.
import type { Clock } from './state.js';

export interface RateLimitPolicy {
  readonly limit: number;
  readonly windowMs: number;
}

export type RateDecision =
  | { readonly allowed: true; readonly headers: Readonly<Record<string, string>> }
  | { readonly allowed: false; readonly headers: Readonly<Record<string, string>> };

interface Bucket {
  windowStart: number;
  used: number;
  blockedUntil?: number;
}

const seconds = (ms: number): number => Math.ceil(ms / 1000);

export class RateLimiter {
  readonly #clock: Clock;
  #policy: RateLimitPolicy;
  readonly #buckets = new Map<number, Bucket>();

  constructor(policy: RateLimitPolicy, clock: Clock) {
    this.#policy = policy;
    this.#clock = clock;
  }

  get policy(): RateLimitPolicy {
    return this.#policy;
  }

  /** Replaces the policy and forgets what each token used, so a test starts from a full budget. */
  setPolicy(policy: RateLimitPolicy): void {
    this.#policy = policy;
    this.#buckets.clear();
  }

  /** Counts one request for `key` (a token's index, so no token text is kept here). */
  take(key: number): RateDecision {
    const now = this.#clock();
    const { limit, windowMs } = this.#policy;
    let bucket = this.#buckets.get(key);
    if (bucket?.blockedUntil !== undefined && now < bucket.blockedUntil) return this.#refuse(bucket.blockedUntil - now);
    if (!bucket || bucket.blockedUntil !== undefined || now >= bucket.windowStart + windowMs) {
      bucket = { windowStart: now, used: 0 };
      this.#buckets.set(key, bucket);
    }
    if (bucket.used >= limit) {
      bucket.blockedUntil = now + windowMs;
      return this.#refuse(windowMs);
    }
    bucket.used += 1;
    return { allowed: true, headers: this.#headers(limit - bucket.used, bucket.windowStart + windowMs - now) };
  }

  #refuse(waitMs: number): RateDecision {
    return { allowed: false, headers: { ...this.#headers(0, waitMs), 'retry-after': String(Math.max(1, seconds(waitMs))) } };
  }

  #headers(remaining: number, resetMs: number): Record<string, string> {
    const { limit, windowMs } = this.#policy;
    return {
      ratelimit: `"default";r=${remaining};t=${seconds(resetMs)}`,
      'ratelimit-policy': `"default";q=${limit};w=${seconds(windowMs)}`,
    };
  }
}
