// The status page's trends: the health model sampled every server.historyInterval into a fixed ring
// (state/history.ts), with the connections cloudflared lost in between counted from its log events.
import type { LogEvent } from '../cloudflared/log/index.js';
import { History, LossCounter, sampleOf, type HealthSnapshot, type HistoryView } from '../state/index.js';

export interface HistorySamplerOptions {
  readonly intervalMs: number;
  readonly snapshot: () => HealthSnapshot;
  /** Wall clock in Unix ms (tests pass a fake one). */
  readonly now?: () => number;
}

export class HistorySampler {
  readonly #history = new History();
  readonly #losses = new LossCounter();
  readonly #o: HistorySamplerOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(o: HistorySamplerOptions) {
    this.#o = o;
  }

  /** A cloudflared log event, as the supervisor read it. */
  event(event: LogEvent): void {
    this.#losses.observe(event);
  }

  /** Samples now (the page has a point at once), then every interval. */
  start(): void {
    this.sample();
    this.#timer = setInterval(() => { this.sample(); }, this.#o.intervalMs);
    // Sampling alone never keeps the process alive.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  sample(): void {
    this.#history.push(sampleOf(this.#o.snapshot(), (this.#o.now ?? Date.now)(), this.#losses.take()));
  }

  get view(): HistoryView {
    return { intervalMs: this.#o.intervalMs, samples: this.#history.samples() };
  }
}
