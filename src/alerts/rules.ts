// The conditions of the built-in alerts: pure functions from what tunnelwatch knows now to the label sets for
// which an alert's condition holds. Durations (`for`, `keep_firing_for`) are the engine's business, not theirs.
import type { Diagnosis } from '../diagnosis/index.js';
import type { HealthSnapshot } from '../state/index.js';
import { CRASH_LOOP_WINDOW_MS, type AlertName } from './catalogue.js';

/** Who this replica is; the values become the alerts' tunnel_id, replica and zone labels. */
export interface AlertIdentity {
  readonly tunnel_id?: string;
  readonly replica?: string;
  readonly zone?: string;
  /** identity.labels `cluster` and `namespace`: per-replica alerts carry them, as the Prometheus rules do. */
  readonly cluster?: string;
  readonly namespace?: string;
}

/** Everything the built-in rules read, gathered by the caller for one evaluation. */
export interface AlertInputs {
  readonly snapshot: HealthSnapshot;
  /** Unix ms of cloudflared restarts; those older than the crash-loop window are ignored. */
  readonly restarts: { readonly recentTimestamps: readonly number[] };
  readonly breakerOpen: boolean;
  /** Oldest undelivered record over every sink; `dropped` counts records lost since start (a counter). */
  readonly spool: { readonly oldestAgeSeconds: number; readonly dropped: number };
  /** Origin key (as in `tunnelwatch_origin_up{origin}`) → the leaf certificate's notAfter, Unix ms. */
  readonly certificates: ReadonlyMap<string, number>;
  /** One line per insecure setting found in cloudflared's configuration (noTLSVerify, ignored access, ...). */
  readonly configFindings: readonly string[];
  readonly identity: AlertIdentity;
  /** Why, as the diagnosis says: carried in the `cause` and `remediation` annotations. */
  readonly diagnosis: readonly Diagnosis[];
  /** This replica's self-fencing, in words, while fenced and for a while after (fencing.enabled). */
  readonly fence?: string;
  /** The newest incident bundle this replica wrote, if any. */
  readonly incident?: { readonly path: string; readonly at: number };
  /** The latest request through the tunnel to each endToEnd.urls entry, and whether the origin answered it. */
  readonly endToEnd: readonly { readonly url: string; readonly served: boolean }[];
}

export type Labels = Readonly<Record<string, string>>;

export interface RuleContext {
  readonly inputs: AlertInputs;
  readonly now: number;
  readonly threshold: number | undefined;
  /** Records dropped within LOG_DROP_WINDOW_MS, from the history the engine keeps of `spool.dropped`. */
  readonly droppedInWindow: number;
}

/** The label sets (names as in the definition's `labels`) for which the alert's condition holds now. */
export type Condition = (ctx: RuleContext) => Labels[];

const DAY_MS = 86_400_000;

const tunnel = (i: AlertInputs): string => i.identity.tunnel_id ?? i.snapshot.tunnelId ?? '';
/** A per-replica alert's labels: cluster and namespace only when set, as Prometheus drops empty labels. */
function replica(i: AlertInputs): Labels {
  const { cluster, namespace } = i.identity;
  return { ...(cluster ? { cluster } : {}), ...(namespace ? { namespace } : {}), tunnel_id: tunnel(i), replica: i.identity.replica ?? '' };
}
const when = (holds: boolean, labels: Labels): Labels[] => (holds ? [labels] : []);

/** The edge view is known: the API is configured and answered. */
const edgeKnown = (s: HealthSnapshot): boolean => s.edge.configured && s.edge.status !== 'unknown';

/** Connectors the edge lists with at least one connection that is not waiting to reconnect. */
export function healthyEdgeConnectors(s: HealthSnapshot): number {
  return s.edge.connectors.filter((c) => c.connections.some((x) => !x.pendingReconnect)).length;
}

/** Conditions by alert; an alert only Prometheus can evaluate (engine 'prometheus') has none. */
export const CONDITIONS: Readonly<Partial<Record<AlertName, Condition>>> = {
  TunnelConnectorUnhealthy: ({ inputs }) => when(inputs.snapshot.state === 'down', replica(inputs)),

  TunnelConnectorDegraded: ({ inputs: i }) => {
    const s = i.snapshot;
    return when(s.registeredConnections > 0 && s.registeredConnections < s.expectedConnections, replica(i));
  },

  TunnelConnectorCrashLooping: ({ inputs: i, now, threshold }) => {
    const recent = i.restarts.recentTimestamps.filter((t) => t > now - CRASH_LOOP_WINDOW_MS && t <= now).length;
    return when(i.breakerOpen || recent > (threshold ?? Infinity), replica(i));
  },

  TunnelHALost: ({ inputs: i, threshold }) => when(edgeKnown(i.snapshot) && healthyEdgeConnectors(i.snapshot) < (threshold ?? 2), { tunnel_id: tunnel(i) }),

  TunnelOriginUnreachable: ({ inputs: i }) => i.snapshot.origins.filter((o) => o.state === 'down').map((o) => ({ ...replica(i), origin: o.key })),

  TunnelEndToEndFailing: ({ inputs: i }) => i.endToEnd.filter((c) => !c.served).map((c) => ({ ...replica(i), url: c.url })),

  TunnelOriginCertificateExpiring: ({ inputs: i, now, threshold }) => {
    const out: Labels[] = [];
    for (const [origin, notAfter] of i.certificates) if (notAfter - now < (threshold ?? 0) * DAY_MS) out.push({ ...replica(i), origin });
    return out;
  },

  TunnelProtocolFallback: ({ inputs: i }) => {
    const s = i.snapshot;
    return when(
      s.connections.some((c) => c.up && (c.protocol ?? s.protocol) === 'http2'),
      replica(i),
    );
  },

  TunnelReconnectStorm: ({ inputs: i }) => when(i.snapshot.reasons.some((r) => r.code === 'reconnect_storm'), replica(i)),

  TunnelConnectorVersionSkew: ({ inputs: i }) => {
    const s = i.snapshot;
    const versions = new Set(s.edge.connectors.map((c) => c.version).filter((v) => v !== undefined && v !== ''));
    return when(edgeKnown(s) && versions.size > 1, { tunnel_id: tunnel(i) });
  },

  TunnelEdgeAPIUnavailable: ({ inputs: i }) => when(i.snapshot.edge.configured && i.snapshot.edge.status === 'unknown', replica(i)),

  TunnelLogShippingBehind: ({ inputs: i, threshold, droppedInWindow }) => when(i.spool.oldestAgeSeconds > (threshold ?? Infinity) || droppedInWindow > 0, replica(i)),

  TunnelConfigInsecure: ({ inputs: i }) => when(i.configFindings.length > 0, replica(i)),

  Watchdog: () => [{}],
};
