// The cloudflared lines that currently prove a cause: the first and the latest few per cause. Live, a registered
// connection proves the start-up and edge causes gone and origin causes fade when their lines stop; over a
// whole log file (`forget: false`) every cause seen is kept. Pure state.
import type { LogEvent } from '../cloudflared/log/index.js';
import type { CauseId } from './causes.js';
import { causeOfLine, lineText } from './line-causes.js';

export interface EvidenceLine {
  /** Unix ms; absent for a line without a readable time (analyze on a log file). */
  readonly at?: number;
  readonly text: string;
}

export interface LineProof {
  readonly first: EvidenceLine;
  /** The newest lines, oldest first, at most LATEST_KEPT. */
  readonly latest: readonly EvidenceLine[];
  readonly count: number;
}

const LATEST_KEPT = 2;
/** Origin errors come with visitors' requests; without a new one for this long the origin is taken as well. */
export const ORIGIN_FADE_MS = 5 * 60_000;
const ORIGIN_CAUSES: ReadonlySet<CauseId> = new Set(['origin_refused', 'origin_timeout', 'origin_unknown_host', 'origin_tls_untrusted', 'origin_5xx']);

export class LineEvidence {
  readonly #proofs = new Map<CauseId, LineProof>();
  readonly #forget: boolean;
  /** A connection registered in this run: a failed pre-check (run against probe hosts, not the edge in use) is then moot. */
  #connected = false;

  constructor(options: { readonly forget?: boolean } = {}) {
    this.#forget = options.forget ?? true;
  }

  /** Takes one cloudflared event; returns the cause it proves, if any. */
  observe(event: LogEvent, at: number | undefined): CauseId | undefined {
    if (event.type === 'starting' || event.type === 'version') this.#connected = false;
    if (event.type === 'registered') {
      this.#connected = true;
      if (this.#forget) this.#registered(event.protocol);
    }
    if (event.message === 'precheck' && this.#connected) return undefined;
    const cause = causeOfLine(event);
    if (cause === undefined) return undefined;
    const line = at === undefined ? { text: lineText(event) } : { at, text: lineText(event) };
    const proof = this.#proofs.get(cause);
    this.#proofs.set(cause, proof === undefined ? { first: line, latest: [], count: 1 } : { first: proof.first, latest: [...proof.latest, line].slice(-LATEST_KEPT), count: proof.count + 1 });
    return cause;
  }

  /** The causes proven at `at`, with their lines. */
  proofs(at: number): ReadonlyMap<CauseId, LineProof> {
    if (!this.#forget) return this.#proofs;
    for (const [cause, proof] of this.#proofs) {
      const last = (proof.latest.at(-1) ?? proof.first).at;
      if (ORIGIN_CAUSES.has(cause) && last !== undefined && at - last > ORIGIN_FADE_MS) this.#proofs.delete(cause);
    }
    return this.#proofs;
  }

  /** A connection registered: the edge was found, reached and took the credentials; QUIC works if it came over QUIC. */
  #registered(protocol: string | undefined): void {
    for (const cause of this.#proofs.keys()) {
      if (ORIGIN_CAUSES.has(cause)) continue;
      if (cause === 'udp_7844_blocked' && protocol !== 'quic') continue;
      this.#proofs.delete(cause);
    }
  }
}
