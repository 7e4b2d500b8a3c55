// Spool drops in the log, once per episode (telemetry/logs/drop-episodes.ts): a record when a sink starts dropping,
// naming what goes first, and one when it has stopped for a minute, with the count by level. Drops can come while
// the spools open, before the logger exists: those are reported once it does.
import { type DropEpisode, DropEpisodes, type Logger } from '../telemetry/logs/index.js';

/** A minute without a drop ends an episode. */
const QUIET_MS = 60_000;
const CHECK_MS = 5_000;

const iso = (ms: number): string => new Date(ms).toISOString();
const levels = (e: DropEpisode): string => [...e.byLevel].map(([level, n]) => `${level === '' ? 'unknown level' : level} ${String(n)}`).join(', ');

export class DropReports {
  readonly #episodes = new DropEpisodes(QUIET_MS);
  readonly #spoolMaxBytes: number;
  readonly #now: () => number;
  #log: Logger | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(spoolMaxBytes: number, now: () => number = Date.now) {
    this.#spoolMaxBytes = spoolMaxBytes;
    this.#now = now;
  }

  dropped(sink: string, count: number, reason: 'overflow' | 'corrupt', level: string): void {
    this.#episodes.add(sink, reason, level, count, this.#now());
    this.#report(false);
  }

  /** Reports through `log` from now on; while an episode is open, checks every few seconds whether it ended. */
  start(log: Logger): void {
    this.#log = log;
    this.#report(false);
  }

  /** Reports every open episode as ended (tunnelwatch stops). */
  stop(): void {
    this.#report(true);
  }

  #report(all: boolean): void {
    const log = this.#log;
    if (log === undefined) return;
    this.#reportTo(log, all);
    // No timer at rest: it runs only while an episode waits for its quiet minute.
    if (this.#episodes.open && this.#timer === undefined) {
      this.#timer = setInterval(() => { this.#report(false); }, CHECK_MS);
      this.#timer.unref();
    } else if (!this.#episodes.open && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #reportTo(log: Logger, all: boolean): void {
    for (const e of this.#episodes.begun()) {
      const why = e.reason === 'overflow' ? `over logs.spoolMaxBytes=${String(this.#spoolMaxBytes)}` : 'unreadable after a crash';
      const order = e.reason === 'overflow' ? ': repeats, then debug and info, then warnings and errors go first; the start-up records and each first error last' : '';
      log.error({ sink: e.sink, reason: e.reason, event: 'spool_drops_started' }, `${e.sink} spool is dropping records (${why})${order}; one report when it stops, every drop counted in tunnelwatch_log_records_dropped_total`);
    }
    for (const e of this.#episodes.ended(all ? undefined : this.#now())) {
      log.warn(
        { sink: e.sink, reason: e.reason, event: 'spool_drops_ended', count: e.total, from: e.from, to: e.to, by_level: Object.fromEntries(e.byLevel) },
        `${e.sink} spool dropped ${String(e.total)} record${e.total === 1 ? '' : 's'} (${e.reason}) between ${iso(e.from)} and ${iso(e.to)}: ${levels(e)}`,
      );
    }
  }
}
