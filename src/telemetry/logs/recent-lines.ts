// The newest records as the pipeline wrote them (redacted JSON lines), bounded by count and bytes: what an incident
// bundle shows of the minutes before it was written, however long the log shipped elsewhere is.

export class RecentLines {
  readonly #maxLines: number;
  readonly #maxBytes: number;
  readonly #lines: string[] = [];
  #bytes = 0;

  constructor(maxLines: number, maxBytes: number) {
    this.#maxLines = maxLines;
    this.#maxBytes = maxBytes;
  }

  add(line: string): void {
    this.#lines.push(line);
    this.#bytes += line.length;
    while (this.#lines.length > this.#maxLines || (this.#bytes > this.#maxBytes && this.#lines.length > 1)) {
      this.#bytes -= this.#lines.shift()?.length ?? 0;
    }
  }

  /** Oldest first. */
  lines(): readonly string[] {
    return [...this.#lines];
  }
}
