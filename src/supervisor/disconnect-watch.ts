// cloudflared never restarts itself when it stays up without a single registered connection (a bad network
// path, an edge that keeps refusing it). This watch fires once a running connector has had no registered
// connection for `afterMs`, so the supervisor can restart it with the reason `disconnected_too_long`.

export interface DisconnectWatchOptions {
  readonly afterMs: number;
  readonly onExpire: () => void;
}

export class DisconnectWatch {
  readonly #o: DisconnectWatchOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: DisconnectWatchOptions) {
    this.#o = options;
  }

  /** The running connector now holds `registered` connections (0 right after it starts). */
  update(registered: number): void {
    if (registered > 0) {
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
