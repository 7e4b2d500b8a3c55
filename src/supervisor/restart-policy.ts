// When to restart cloudflared after it ended: exponential backoff with equal jitter (half the ceiling, plus a
// random share of the other half: replicas spread out, yet never restart at once in a tight loop), reset once a child has
// stayed up long enough, and a crash-loop breaker that stops restarting after too many restarts in a window.
// Pure: the caller passes the time and the random source.
import type { Settings } from '../config/index.js';

/** Why a connector was restarted; the `reason` label of tunnelwatch_connector_restarts_total. */
export const RESTART_REASONS = ['exit', 'signal', 'hang', 'disconnected_too_long', 'restore_quic', 'start_failed'] as const satisfies readonly RestartReason['kind'][];

export type RestartReason =
  | { readonly kind: 'exit'; readonly code: number }
  | { readonly kind: 'signal'; readonly signal: string }
  | { readonly kind: 'hang' }
  | { readonly kind: 'disconnected_too_long' }
  /** On HTTP/2 since a fallback while QUIC works again (supervisor.restoreQuicAfter). */
  | { readonly kind: 'restore_quic' }
  | { readonly kind: 'start_failed'; readonly error: string };

export interface RestartPolicyOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** More than this many restarts within `windowMs` opens the breaker. */
  readonly crashLoopRestarts: number;
  readonly windowMs: number;
  /** A child that stayed up at least this long resets the backoff to its first step. */
  readonly resetAfterMs: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

export interface BreakerOpen {
  /** Restarts counted in the window when the breaker opened. */
  readonly restarts: number;
  readonly windowMs: number;
  /** The end that would have needed one restart too many. */
  readonly last: RestartReason;
}

export type Decision =
  | { readonly action: 'restart'; readonly delayMs: number; /** 1-based count of consecutive quick failures. */ readonly attempt: number }
  | { readonly action: 'give_up'; readonly breaker: BreakerOpen };

/** Policy options from settings; the child must stay up for one maximum backoff to count as healthy again. */
export function policyOptions(s: Settings['supervisor'], random: () => number = Math.random): RestartPolicyOptions {
  return {
    initialMs: s.restartBackoffInitial,
    maxMs: Math.max(s.restartBackoffMax, s.restartBackoffInitial),
    crashLoopRestarts: s.crashLoopRestarts,
    windowMs: s.crashLoopWindow,
    resetAfterMs: Math.max(s.restartBackoffMax, s.restartBackoffInitial),
    random,
  };
}

/** A restart reason in the words of the records and the status page: `exit 1`, `signal SIGKILL`, `hang`, ... */
export function describeReason(r: RestartReason): string {
  switch (r.kind) {
    case 'exit':
      return `exit ${String(r.code)}`;
    case 'signal':
      return `signal ${r.signal}`;
    case 'start_failed':
      return `start failed: ${r.error}`;
    case 'hang':
    case 'disconnected_too_long':
    case 'restore_quic':
      return r.kind;
  }
}

export class RestartPolicy {
  readonly #o: RestartPolicyOptions;
  /** Consecutive ends of children that did not stay up for resetAfterMs. */
  #failures = 0;
  /** Times of the restarts granted, oldest first. */
  #restarts: number[] = [];
  #breaker: BreakerOpen | undefined;

  constructor(options: RestartPolicyOptions) {
    this.#o = options;
  }

  get breaker(): BreakerOpen | undefined {
    return this.#breaker;
  }

  /** Decides what to do after a child ended for `reason` at `now`, having been up for `upMs`. */
  decide(reason: RestartReason, upMs: number, now: number): Decision {
    if (this.#breaker !== undefined) return { action: 'give_up', breaker: this.#breaker };
    this.#restarts = this.#restarts.filter((t) => t > now - this.#o.windowMs);
    if (this.#restarts.length >= this.#o.crashLoopRestarts) {
      this.#breaker = { restarts: this.#restarts.length, windowMs: this.#o.windowMs, last: reason };
      return { action: 'give_up', breaker: this.#breaker };
    }
    if (upMs >= this.#o.resetAfterMs) this.#failures = 0;
    const ceiling = Math.min(this.#o.maxMs, this.#o.initialMs * 2 ** Math.min(this.#failures, 52));
    this.#failures++;
    this.#restarts.push(now);
    const r = Math.min(Math.max(this.#o.random(), 0), 1);
    return { action: 'restart', delayMs: Math.floor(ceiling / 2 + (r * ceiling) / 2), attempt: this.#failures };
  }

  /** Closes the breaker and forgets history (an operator's explicit restart). */
  reset(): void {
    this.#failures = 0;
    this.#restarts = [];
    this.#breaker = undefined;
  }
}
