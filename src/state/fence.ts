// Whether this replica should stop taking traffic (self-fencing): Cloudflare hands a tunnel's requests to any of
// its connectors, so a replica whose origins are all unreachable turns its share into 502s while its siblings
// could serve them. It may step aside only when none of its origins answers here and enough siblings serve what it
// cannot: each sibling is read from its own tunnelwatch /status (healthy or degraded, not fenced itself, up where
// this replica is down) and, when the edge view is on, confirmed by the Cloudflare API listing its connector. A
// replica whose siblings cannot serve never fences, so the last ones serving never step aside together. Pure.
import type { HealthSnapshot } from './snapshot.js';

/** A sibling as its tunnelwatch /status describes it, or why it could not be read. */
export interface PeerView {
  readonly url: string;
  readonly error?: string;
  readonly state?: string;
  readonly fenced?: boolean;
  readonly connectorId?: string;
  readonly origins?: readonly { readonly key: string; readonly hostname?: string; readonly state: string }[];
}

export interface FenceVerdict {
  /** Every condition for fencing holds now. */
  readonly wouldFence: boolean;
  /** Siblings that serve what this replica cannot (their URLs). */
  readonly servingPeers: readonly string[];
  /** Why, in one sentence: the evidence for fencing, or what stands against it. */
  readonly why: string;
}

const LIVE = new Set(['healthy', 'degraded']);

/** Hostnames (or origin keys without one) this replica's probes find down. */
function downHere(self: HealthSnapshot): Set<string> {
  return new Set(self.origins.filter((o) => o.state === 'down').map((o) => o.hostname ?? o.key));
}

/** Why `peer` cannot stand in for this replica, or undefined when it can. */
function peerProblem(peer: PeerView, down: ReadonlySet<string>, self: HealthSnapshot): string | undefined {
  if (peer.error !== undefined) return peer.error;
  if (peer.state === undefined || !LIVE.has(peer.state)) return `its connector is ${peer.state ?? 'unknown'}`;
  if (peer.fenced === true) return 'it is fenced itself';
  const serves = (peer.origins ?? []).some((o) => o.state === 'up' && down.has(o.hostname ?? o.key));
  if (!serves) return 'it reaches none of the origins this replica cannot';
  const { edge } = self;
  if (edge.configured && edge.status !== 'unknown') {
    const listed = edge.connectors.some((c) => c.id === peer.connectorId && c.connections.some((x) => !x.pendingReconnect));
    if (!listed) return `the Cloudflare API lists no live connector ${peer.connectorId ?? '(unknown id)'} for it`;
  }
  return undefined;
}

export function fenceVerdict(self: HealthSnapshot, peers: readonly PeerView[], minServingPeers: number): FenceVerdict {
  const down = downHere(self);
  const probed = self.origins.filter((o) => o.state !== 'unknown');
  const problems = peers.map((p) => [p, peerProblem(p, down, self)] as const);
  const serving = problems.filter(([, problem]) => problem === undefined).map(([p]) => p.url);
  if (probed.length === 0 || probed.some((o) => o.state === 'up')) {
    return { wouldFence: false, servingPeers: serving, why: probed.length === 0 ? 'no origin has been probed yet' : 'this replica reaches some of its origins' };
  }
  const names = [...down].join(', ');
  if (serving.length < minServingPeers) {
    const others = problems.filter(([, problem]) => problem !== undefined).map(([p, problem]) => `${p.url}: ${problem ?? ''}`);
    return {
      wouldFence: false,
      servingPeers: serving,
      why: `every origin is down here (${names}) but only ${String(serving.length)} of the required ${String(minServingPeers)} siblings serve them${others.length > 0 ? ` (${others.join('; ')})` : ''}`,
    };
  }
  return { wouldFence: true, servingPeers: serving, why: `every origin is down here (${names}) while ${serving.join(', ')} serve${serving.length === 1 ? 's' : ''} them` };
}
