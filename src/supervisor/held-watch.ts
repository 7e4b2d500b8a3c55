// Fires once a condition about the running connector has held for `afterMs` without a break, so the supervisor can
// restart it. cloudflared never restarts itself when it stays up without a registered connection (a bad network
// path, an edge that keeps refusing it: reason `disconnected_too_long`), nor when it keeps running on HTTP/2 after a
// fallback although QUIC works again (its issue #1534: reason `restore_quic`).

export interface HeldWatchOptions {
  readonly afterMs: number;
  readonly onExpire: () => void;
}

export class HeldWatch {
  readonly #o: HeldWatchOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: HeldWatchOptions) {
    this.#o = options;
  }

  /** Whether the condition holds now; the clock starts when it begins to hold and stops when it breaks. */
  update(holds: boolean): void {
    if (!holds) {
      this.stop();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#o.onExpire();
    }, this.#o.afterMs);
  }

  /** No connector is running (it exited, or tunnelwatch is stopping): nothing to watch. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
