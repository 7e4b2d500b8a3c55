// Runs each collector on its own interval: a setTimeout chain started after a run settles, so runs of one
// collector never overlap, and a slow or broken collector never delays the others. Each run has a deadline (the
// collector's interval); a run that throws or misses it is recorded as failed, and the next is scheduled as usual.
import { setMaxListeners } from 'node:events';
import type { Observation } from '../state/index.js';
import { inSpan } from '../telemetry/tracing/index.js';
import type { Collector } from './collector.js';

export interface CollectorStats {
  readonly name: string;
  /** How long the last run took, up to its end or its deadline. */
  readonly lastDurationSeconds: number;
  /** The last run returned in time without throwing (false before the first run). */
  readonly lastSuccess: boolean;
  readonly lastError?: string;
  readonly runs: number;
  readonly failures: number;
}

/** setTimeout/clearTimeout, injectable for tests; the defaults look the globals up on each call. */
export interface RunnerTimers {
  readonly setTimeout: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout: (handle: unknown) => void;
}

export interface RunnerOptions {
  /** Wall clock handed to collectors for stamping observations (default Date.now). */
  readonly now?: () => number;
  /** Monotonic milliseconds for durations (default performance.now). */
  readonly monotonic?: () => number;
  readonly timers?: RunnerTimers;
}

const defaultTimers: RunnerTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** setTimeout fires at once for delays above 2^31-1 ms, so longer (or non-finite) delays are capped. */
const MAX_DELAY_MS = 2 ** 31 - 1;
const clampDelay = (ms: number): number => (Number.isNaN(ms) ? MAX_DELAY_MS : Math.min(Math.max(0, ms), MAX_DELAY_MS));

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The abort reason stop() uses; runs ended by it are not counted. */
class RunnerStopped extends Error {
  constructor() {
    super('collector runner stopped');
  }
}

interface Slot {
  readonly collector: Collector;
  timer?: unknown;
  running?: Promise<void>;
  controller?: AbortController;
}

/** Takes one run's observations together, so a hundred probe results are folded into the health once. */
export type ObservationSink = (observations: readonly Observation[]) => void;

type Outcome = { readonly observations: readonly Observation[] } | { readonly error: unknown };

export class CollectorRunner {
  readonly #slots = new Map<string, Slot>();
  readonly #stats = new Map<string, CollectorStats>();
  readonly #sink: ObservationSink;
  readonly #now: () => number;
  readonly #monotonic: () => number;
  readonly #timers: RunnerTimers;
  #started = false;

  constructor(collectors: readonly Collector[], sink: ObservationSink, options: RunnerOptions = {}) {
    for (const collector of collectors) {
      if (this.#slots.has(collector.name)) throw new Error(`two collectors are named "${collector.name}"; collector names must be unique`);
      this.#slots.set(collector.name, { collector });
      this.#stats.set(collector.name, { name: collector.name, lastDurationSeconds: 0, lastSuccess: false, runs: 0, failures: 0 });
    }
    this.#sink = sink;
    this.#now = options.now ?? Date.now;
    this.#monotonic = options.monotonic ?? (() => performance.now());
    this.#timers = options.timers ?? defaultTimers;
  }

  /** One entry per collector, present from construction (runs 0 until its first run ends). */
  get stats(): ReadonlyMap<string, CollectorStats> {
    return this.#stats;
  }

  /** Schedules every collector's first run right away; calling it again while started does nothing. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    for (const slot of this.#slots.values()) {
      if (!slot.running) this.#schedule(slot, 0);
    }
  }

  /** Cancels pending runs, aborts the ones in flight and waits for them to settle. */
  async stop(): Promise<void> {
    this.#started = false;
    for (const slot of this.#slots.values()) {
      this.#clearTimer(slot);
      slot.controller?.abort(new RunnerStopped());
    }
    await Promise.all([...this.#slots.values()].map((slot) => slot.running ?? Promise.resolve()));
  }

  /**
   * Runs one collector (or all) now and resolves when the run has settled. A collector already running is
   * joined, not run twice. When started, its schedule restarts from this run.
   */
  async runOnce(name?: string): Promise<void> {
    if (name === undefined) {
      await Promise.all([...this.#slots.values()].map((slot) => this.#run(slot)));
      return;
    }
    const slot = this.#slots.get(name);
    if (!slot) throw new Error(`no collector named "${name}"; known: ${[...this.#slots.keys()].join(', ') || 'none'}`);
    await this.#run(slot);
  }

  #schedule(slot: Slot, delayMs: number): void {
    this.#clearTimer(slot);
    slot.timer = this.#timers.setTimeout(() => {
      slot.timer = undefined;
      void this.#run(slot);
    }, clampDelay(delayMs));
  }

  #clearTimer(slot: Slot): void {
    if (slot.timer !== undefined) this.#timers.clearTimeout(slot.timer);
    slot.timer = undefined;
  }

  #run(slot: Slot): Promise<void> {
    if (slot.running) return slot.running;
    this.#clearTimer(slot);
    const running = this.#execute(slot).finally(() => {
      slot.running = undefined;
      if (this.#started) this.#schedule(slot, slot.collector.intervalMs);
    });
    slot.running = running;
    return running;
  }

  async #execute(slot: Slot): Promise<void> {
    const { collector } = slot;
    const deadlineMs = clampDelay(collector.intervalMs);
    const controller = new AbortController();
    // Every probe in flight (origins.concurrency, up to 64) listens on the run's signal.
    setMaxListeners(128, controller.signal);
    slot.controller = controller;
    const started = this.#monotonic();
    const deadline = this.#timers.setTimeout(() => {
      controller.abort(new Error(`collector ${collector.name} missed its deadline of ${String(deadlineMs / 1000)}s`));
    }, deadlineMs);
    const aborted = new Promise<Outcome>((resolve) => {
      controller.signal.addEventListener('abort', () => { resolve({ error: controller.signal.reason }); }, { once: true });
    });
    const collecting = inSpan(`collect ${collector.name}`, { collector: collector.name }, async () => {
      const observations = await collector.collect({ signal: controller.signal, now: this.#now });
      // A collector that returned after the deadline still marks its span as failed.
      controller.signal.throwIfAborted();
      return observations;
    }, { root: true }).then(
      (observations): Outcome => ({ observations }),
      (error: unknown): Outcome => ({ error }),
    );

    const outcome = await Promise.race([collecting, aborted]);
    this.#timers.clearTimeout(deadline);
    const durationSeconds = (this.#monotonic() - started) / 1000;
    if (!(controller.signal.reason instanceof RunnerStopped)) this.#record(collector.name, durationSeconds, this.#emit(outcome));
    // Wait for the collector to settle even after its deadline, so the next run never overlaps this one.
    await collecting;
    if (slot.controller === controller) slot.controller = undefined;
  }

  /** Hands the observations to the sink; returns the run's error, if any. */
  #emit(outcome: Outcome): string | undefined {
    if ('error' in outcome) return describe(outcome.error);
    try {
      if (outcome.observations.length > 0) this.#sink(outcome.observations);
      return undefined;
    } catch (error) {
      return `the observation sink threw: ${describe(error)}`;
    }
  }

  #record(name: string, lastDurationSeconds: number, error: string | undefined): void {
    const previous = this.#stats.get(name);
    const runs = (previous?.runs ?? 0) + 1;
    const failures = (previous?.failures ?? 0) + (error === undefined ? 0 : 1);
    this.#stats.set(
      name,
      error === undefined
        ? { name, lastDurationSeconds, lastSuccess: true, runs, failures }
        : { name, lastDurationSeconds, lastSuccess: false, lastError: error, runs, failures },
    );
  }
}
