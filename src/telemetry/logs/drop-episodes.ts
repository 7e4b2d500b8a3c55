// Records dropped from a full spool, reported once per episode: when the first drop of a sink and reason opens one,
// and when no drop has come for a quiet interval, with the count by level and the time it lasted. The metrics count
// every drop; the log must not: each report is itself a record written into the spool that is dropping. Pure.

export interface DropEpisode {
  readonly sink: string;
  readonly reason: string;
  /** The first and the last drop (ms). */
  readonly from: number;
  readonly to: number;
  readonly total: number;
  readonly byLevel: ReadonlyMap<string, number>;
}

interface Open { sink: string; reason: string; from: number; to: number; total: number; byLevel: Map<string, number>; announced: boolean }

export class DropEpisodes {
  readonly #quietMs: number;
  readonly #open = new Map<string, Open>();

  constructor(quietMs: number) {
    this.#quietMs = quietMs;
  }

  /** Counts `n` records of `level` ('' unknown) dropped by `sink` for `reason` at `now`. */
  add(sink: string, reason: string, level: string, n: number, now: number): void {
    const key = `${sink}\u0000${reason}`;
    let e = this.#open.get(key);
    if (e === undefined) {
      e = { sink, reason, from: now, to: now, total: 0, byLevel: new Map(), announced: false };
      this.#open.set(key, e);
    }
    e.to = now;
    e.total += n;
    e.byLevel.set(level, (e.byLevel.get(level) ?? 0) + n);
  }

  /** Whether an episode is open: one has yet to end. */
  get open(): boolean {
    return this.#open.size > 0;
  }

  /** Episodes opened since the last call: report that they began. */
  begun(): DropEpisode[] {
    const out: DropEpisode[] = [];
    for (const e of this.#open.values()) {
      if (e.announced) continue;
      e.announced = true;
      out.push({ ...e, byLevel: new Map(e.byLevel) });
    }
    return out;
  }

  /** Episodes without a drop for the quiet interval by `now` (all of them without `now`): closed, for their last report. */
  ended(now?: number): DropEpisode[] {
    const out: DropEpisode[] = [];
    for (const [key, e] of this.#open) {
      if (now !== undefined && now - e.to < this.#quietMs) continue;
      this.#open.delete(key);
      out.push(e);
    }
    return out;
  }
}
