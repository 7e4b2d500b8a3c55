// retry/backoffhandler.go: exponential backoff with random waits. The "up to" value cloudflared logs
// (GetMaxBackoffDuration) is one step ahead of the wait it then draws (BackoffTimer): after a connected slot
// drops it logs 1s but waits up to 2s; a never-connected slot logs 2s, 4s, 8s, 16s, 32s, then 1m4s forever
// while the waits stay capped at 32s (2^retries with retries capped at --retries).
import type { Random } from './clock.js';

export class BackoffHandler {
  readonly #maxRetries: number;
  readonly #baseMs: number;
  readonly #retryForever: boolean;
  readonly #now: () => number;
  readonly #rng: Random;
  #retries = 0;
  /** Unix ms after which the retry count resets; 0 = not set. */
  #resetDeadline = 0;

  constructor(maxRetries: number, baseMs: number, retryForever: boolean, now: () => number, rng: Random) {
    this.#maxRetries = maxRetries;
    this.#baseMs = baseMs;
    this.#retryForever = retryForever;
    this.#now = now;
    this.#rng = rng;
  }

  get retries(): number {
    return this.#retries;
  }

  /** GetMaxBackoffDuration without the context check: the logged "up to" duration, or undefined when out of retries. */
  maxBackoffMs(): number | undefined {
    if (this.#resetDeadline !== 0 && this.#now() >= this.#resetDeadline) return 1000;
    if (this.#retries >= this.#maxRetries && !this.#retryForever) return undefined;
    return this.#baseMs * 2 ** (this.#retries + 1);
  }

  /** BackoffTimer: the next wait in ms (random below 2^retries·base), or undefined when out of retries. */
  nextWaitMs(): number | undefined {
    if (this.#resetDeadline !== 0 && this.#now() >= this.#resetDeadline) {
      this.#retries = 0;
      this.#resetDeadline = 0;
    }
    if (this.#retries >= this.#maxRetries) {
      if (!this.#retryForever) return undefined;
    } else {
      this.#retries++;
    }
    return Math.floor(this.#rng.next() * this.#baseMs * 2 ** this.#retries);
  }

  /** SetGracePeriod: the retry count resets once a random grace period has passed. */
  setGracePeriod(): number {
    const wait = Math.floor(this.#rng.next() * this.#baseMs * 2 ** (this.#retries + 2));
    this.#resetDeadline = this.#now() + wait;
    return wait;
  }

  reachedMaxRetries(): boolean {
    return this.#retries === this.#maxRetries;
  }

  /** ResetNow: a successful registration. */
  resetNow(): void {
    this.#resetDeadline = this.#now();
    this.#retries = 0;
  }
}
