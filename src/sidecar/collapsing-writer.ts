// cloudflared's records on their way to the log pipeline, with repeats collapsed (logs.repeats) and each given the
// class a full spool drops it by: the timer that ships a window's summary when no further line arrives lives here,
// so the collapsing and the classing stay pure.
import { ConnectorKeep, KEEP, type KeepClass, type LogRecord, Repeats } from '../telemetry/logs/index.js';

export interface CollapsingWriterOptions {
  readonly windowMs: number;
  readonly burst: number;
  readonly write: (record: LogRecord, keep: KeepClass) => void;
  /** A record was held back (it is counted in a later summary). */
  readonly collapsed: () => void;
  readonly now: () => number;
}

export class CollapsingWriter {
  readonly #o: CollapsingWriterOptions;
  readonly #repeats: Repeats;
  readonly #keep = new ConnectorKeep();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CollapsingWriterOptions) {
    this.#o = options;
    this.#repeats = new Repeats({ windowMs: options.windowMs, burst: options.burst });
  }

  /** A new cloudflared run starts: its first records are kept longest. */
  runStarted(): void {
    this.#keep.runStarted();
  }

  write(record: LogRecord, key: string, at: number): void {
    this.#shipDue(at);
    const again = this.#repeats.shippedInWindow(key);
    if (this.#repeats.admit(key, record, at)) this.#o.write(record, this.#keep.of(record.level, key, again));
    else this.#o.collapsed();
    this.#schedule();
  }

  /** Ships every pending summary now (the process ended, or tunnelwatch stops): counts are final. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#shipDue(undefined);
  }

  #shipDue(at: number | undefined): void {
    for (const summary of this.#repeats.due(at)) this.#o.write(summary, KEEP.repeat);
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const next = this.#repeats.nextDue();
    if (next === undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#shipDue(this.#o.now());
      this.#schedule();
    }, Math.max(0, next - this.#o.now()));
  }
}
