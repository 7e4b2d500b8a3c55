// Self-fencing for `run` (fencing.enabled): every fencing.interval the siblings' tunnelwatch /status is read (from
// fencing.peers and the records of fencing.peersDns) and judged with this replica's own snapshot (state/fence.ts).
// When the verdict has held for fencing.after, cloudflared is drained gracefully and held down; when some origin
// has answered again for fencing.unfenceAfter, or too few siblings serve any more, it starts again. Every fence and
// unfence is a record, a span, a count and (through the alerts' `fence` annotation) part of this replica's alerts.
import { resolve4, resolve6 } from 'node:dns/promises';
import { createHttpFetch } from '../base/index.js';
import type { Settings } from '../config/index.js';
import { goSplitHostPort } from '../go/index.js';
import { fenceVerdict, type HealthSnapshot, type PeerView } from '../state/index.js';
import { HeldWatch, type Connector } from '../supervisor/index.js';
import type { Logger } from '../telemetry/logs/index.js';
import { computedCounter, computedGauge, type MetricSet, single } from '../telemetry/metrics/index.js';
import { pointSpan } from '../telemetry/tracing/index.js';

/** A peer's /status lists its origins; a few megabytes is far more than a real one. */
const peerFetch = createHttpFetch({ maxBytes: 8 << 20 });

export interface FenceState {
  readonly fenced: boolean;
  /** Unix ms of the last fence or unfence. */
  readonly since?: number;
  readonly why?: string;
}

export interface FencingOptions {
  readonly settings: Settings;
  readonly supervisor: Connector;
  readonly log: Logger;
  readonly snapshot: () => HealthSnapshot;
  /** The process view while held: the connector is stopped on purpose. */
  readonly onHeld: (why: string) => void;
  readonly now?: () => number;
}

interface StatusBody {
  readonly state?: string;
  readonly connectorId?: string;
  readonly fence?: { readonly fenced?: boolean };
  readonly origins?: readonly { readonly key: string; readonly hostname?: string; readonly state: string }[];
}

/** The fence as metrics: whether fenced now, and every fence and unfence counted. */
export function fenceMetrics(fenced: () => boolean, counts: () => { readonly fence: number; readonly unfence: number }): MetricSet {
  return (registry) => {
    computedGauge(registry, { name: 'tunnelwatch_fenced', help: 'Whether this replica has fenced itself (1): its connector is held down while siblings serve what its origins cannot (fencing.enabled).', read: () => single(fenced() ? 1 : 0) });
    computedCounter(registry, {
      name: 'tunnelwatch_fence_changes_total',
      help: 'Times this replica fenced itself (action="fence") or started serving again (action="unfence").',
      labelNames: ['action'],
      read: () => [{ labels: { action: 'fence' }, value: counts().fence }, { labels: { action: 'unfence' }, value: counts().unfence }],
    });
  };
}

export class Fencing {
  readonly #o: FencingOptions;
  readonly #now: () => number;
  readonly #fence: HeldWatch;
  readonly #unfence: HeldWatch;
  #state: FenceState = { fenced: false };
  #counts = { fence: 0, unfence: 0 };
  #timer: NodeJS.Timeout | undefined;
  #why = '';

  constructor(o: FencingOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    const f = o.settings.fencing;
    this.#fence = new HeldWatch({ afterMs: f.after, onExpire: () => { void this.#hold(); } });
    this.#unfence = new HeldWatch({ afterMs: f.unfenceAfter, onExpire: () => { this.#release('some origin answers again'); } });
  }

  get state(): FenceState {
    return this.#state;
  }

  get metrics(): MetricSet {
    return fenceMetrics(() => this.#state.fenced, () => this.#counts);
  }

  start(): void {
    const tick = async (): Promise<void> => {
      await this.check().catch((error: unknown) => { this.#o.log.error({ event: 'fence_check', err: (error as Error).message }, `fencing check failed: ${(error as Error).message}`); });
      this.#timer = setTimeout(() => { void tick(); }, this.#o.settings.fencing.interval);
    };
    this.#timer = setTimeout(() => { void tick(); }, this.#o.settings.fencing.interval);
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#fence.stop();
    this.#unfence.stop();
  }

  /** One look at the siblings and this replica; arms or disarms the fence and unfence timers. */
  async check(): Promise<void> {
    const f = this.#o.settings.fencing;
    const peers = await Promise.all((await this.#peerUrls()).map((url) => this.#peer(url)));
    const self = this.#o.snapshot();
    const verdict = fenceVerdict(self, peers, f.minServingPeers);
    this.#why = verdict.why;
    if (!this.#state.fenced) {
      this.#fence.update(verdict.wouldFence);
      return;
    }
    const answering = self.origins.some((o) => o.state === 'up');
    // While nothing answers here, siblings that stop serving end the fence at once: the tunnel must keep a connector.
    if (!answering && verdict.servingPeers.length < f.minServingPeers) {
      this.#release(`too few siblings serve any more (${verdict.why})`);
      return;
    }
    this.#unfence.update(answering);
  }

  async #hold(): Promise<void> {
    // Nothing to drain (the breaker is open, tunnelwatch is stopping): fencing would only hide that.
    const { state } = this.#o.supervisor;
    if (state !== 'running' && state !== 'backoff') return;
    const why = this.#why;
    this.#state = { fenced: true, since: this.#now(), why };
    this.#counts.fence++;
    pointSpan('replica fence', { why });
    this.#o.log.warn({ event: 'fence', why }, `fencing this replica: ${why}; draining cloudflared (grace ${String(this.#o.settings.cloudflared.gracePeriod / 1000)}s) and holding it down until an origin answers again`);
    this.#o.onHeld(`fenced: ${why}`);
    await this.#o.supervisor.hold();
  }

  #release(why: string): void {
    this.#unfence.stop();
    if (!this.#o.supervisor.release()) return;
    this.#state = { fenced: false, since: this.#now(), why };
    this.#counts.unfence++;
    pointSpan('replica unfence', { why });
    this.#o.log.warn({ event: 'unfence', why }, `unfencing this replica: ${why}; starting cloudflared again`);
  }

  async #peerUrls(): Promise<string[]> {
    const { peers, peersDns } = this.#o.settings.fencing;
    const at = peersDns === undefined ? undefined : goSplitHostPort(peersDns);
    if (at === undefined) return [...peers];
    const found = await Promise.all([resolve4(at.host).catch(() => []), resolve6(at.host).catch(() => [])]);
    return [...peers, ...found.flat().map((ip) => `http://${ip.includes(':') ? `[${ip}]` : ip}:${at.port}`)];
  }

  async #peer(url: string): Promise<PeerView> {
    const token = this.#o.settings.server.authToken;
    try {
      const res = await peerFetch(`${url.replace(/\/+$/, '')}/status`, {
        headers: token === undefined || token.isEmpty ? {} : { authorization: `Bearer ${token.reveal()}` },
        signal: AbortSignal.timeout(Math.min(5000, this.#o.settings.fencing.interval)),
      });
      if (!res.ok) return { url, error: `its /status answered HTTP ${String(res.status)}` };
      const body = (await res.json()) as StatusBody;
      // Its own connector is this replica's: a peers list or a DNS name that includes this replica itself.
      if (body.connectorId !== undefined && body.connectorId === this.#o.snapshot().connectorId) return { url, error: 'it is this replica' };
      return {
        url,
        ...(body.state === undefined ? {} : { state: body.state }),
        fenced: body.fence?.fenced === true,
        ...(body.connectorId === undefined ? {} : { connectorId: body.connectorId }),
        origins: body.origins ?? [],
      };
    } catch (error) {
      return { url, error: `its /status could not be read: ${(error as Error).message}` };
    }
  }
}
