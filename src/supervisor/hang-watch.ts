// Hang detection for one child: cloudflared is hung when it has written no line and its metrics server has not
// answered for `timeoutMs`. A healthy connector is often silent for hours, so silence alone only triggers a
// probe of `/healthcheck`; an answer counts as activity.
import { requestWhole } from '../base/index.js';
import { connectAddress } from '../cloudflared/metrics/index.js';

/** Resolves true when something answered at `address` within `timeoutMs`; never rejects. */
export type Probe = (address: string, timeoutMs: number) => Promise<boolean>;

/** cloudflared answers "OK"; the bound keeps a wrong server's answer from being read whole. */
const MAX_BYTES = 4096;

/** GET http://<address>/healthcheck, on node:http: Node's fetch would load undici for this alone (see http-request.ts). */
export const healthcheckProbe: Probe = async (address, timeoutMs) => {
  try {
    const res = await requestWhole(new URL(`http://${connectAddress(address)}/healthcheck`), { signal: AbortSignal.timeout(timeoutMs), maxBytes: MAX_BYTES, tooLarge: (what) => new Error(`the answer is ${what}`) });
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
};

export interface HangWatchOptions {
  readonly timeoutMs: number;
  readonly probe: Probe;
  readonly onHang: () => void;
  readonly now: () => number;
}

export class HangWatch {
  readonly #o: HangWatchOptions;
  #last: number;
  #address: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #done = false;

  constructor(options: HangWatchOptions) {
    this.#o = options;
    this.#last = options.now();
    this.#schedule(options.timeoutMs);
  }

  /** A line was read. */
  activity(): void {
    this.#last = this.#o.now();
  }

  /** The metrics server's address, once cloudflared logged it. */
  set address(address: string) {
    this.#address = address;
  }

  stop(): void {
    this.#done = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #stopped(): boolean {
    return this.#done;
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => { void this.#check(); }, Math.max(ms, 1));
  }

  async #check(): Promise<void> {
    this.#timer = undefined;
    if (this.#done) return;
    const idle = this.#o.now() - this.#last;
    if (idle < this.#o.timeoutMs) {
      this.#schedule(this.#o.timeoutMs - idle);
      return;
    }
    const answered = this.#address !== undefined && (await this.#o.probe(this.#address, Math.min(this.#o.timeoutMs, 5000)));
    // stop() may have been called while the probe was out.
    if (this.#stopped()) return;
    if (answered) this.#last = this.#o.now();
    const quiet = this.#o.now() - this.#last;
    if (quiet < this.#o.timeoutMs) {
      this.#schedule(this.#o.timeoutMs - quiet);
      return;
    }
    this.#done = true;
    this.#o.onHang();
  }
}
