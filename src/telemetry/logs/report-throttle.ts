// Reports of something that can happen thousands of times a second (records dropped from a full spool), said at
// most once per interval per key with the count since the last report. The metrics count every occurrence; the
// log must not: each report is itself a record written into the spool that is dropping. Pure.

export class ReportThrottle {
  readonly #intervalMs: number;
  readonly #last = new Map<string, { at: number; pending: number }>();

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** Counts `n` more for `key`; the total to report now, or undefined when a report was made less than an interval ago. */
  add(key: string, n: number, now: number): number | undefined {
    const entry = this.#last.get(key);
    if (entry === undefined || now - entry.at >= this.#intervalMs) {
      const total = n + (entry?.pending ?? 0);
      this.#last.set(key, { at: now, pending: 0 });
      return total;
    }
    entry.pending += n;
    return undefined;
  }
}
