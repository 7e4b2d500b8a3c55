// The health model's answer at one moment: what /status serves, what /metrics and the alert rules read.
// Plain data, JSON-serialisable as is (times are Unix milliseconds).
import type { EdgeConnector, ProcessObservation, TunnelStatus } from './observations.js';

/** Cloudflare's connector states, plus `unknown` before tunnelwatch knows anything. */
export const CONNECTOR_STATES = ['healthy', 'degraded', 'down', 'inactive', 'unknown'] as const;
export type ConnectorState = (typeof CONNECTOR_STATES)[number];

/** Bounded set of reason codes: they become metric label values and alert inputs. */
export const REASON_CODES = [
  'no_data',
  'process_not_running',
  'process_restarting',
  'crash_loop',
  'no_connections',
  'connections_missing',
  'registration_refused',
  'protocol_fallback',
  'reconnect_storm',
  'ready_disagrees',
  'ha_gauge_disagrees',
  'edge_disagrees',
  'edge_unknown',
  'connector_unreachable',
  'origins_down',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Reason {
  readonly code: ReasonCode;
  /** One sentence for humans, e.g. `2 of 4 HA connections registered (missing: 1, 3)`. */
  readonly message: string;
  readonly since: number;
}

export interface ConnectionView {
  readonly connIndex: number;
  readonly up: boolean;
  readonly protocol?: string;
  /** Edge location (colo), e.g. `lax01`. */
  readonly location?: string;
  readonly edgeIp?: string;
  readonly connectionId?: string;
  readonly since?: number;
}

export interface OriginView {
  readonly key: string;
  readonly service: string;
  readonly rule?: number;
  readonly hostname?: string;
  readonly state: 'up' | 'down' | 'unknown';
  /** The last failure while down (or the failure streak that is building up). */
  readonly reason?: string;
  readonly since: number;
  readonly lastProbeAt?: number;
  readonly lastDurationMs?: number;
}

export interface EdgeView {
  /** `unknown` when the API cannot be reached or is not configured (see `configured`). */
  readonly status: TunnelStatus | 'unknown';
  readonly configured: boolean;
  readonly error?: string;
  readonly checkedAt?: number;
  /** This replica's connector as the edge lists it; undefined when the edge does not list it. */
  readonly connector?: EdgeConnector;
  /** Every connector the edge lists for the tunnel (this one included). */
  readonly connectors: readonly EdgeConnector[];
}

export interface StateTransition {
  readonly at: number;
  readonly from: ConnectorState;
  readonly to: ConnectorState;
  /** The reasons of the state entered (stateReasons), not the informing ones carried along. */
  readonly reasons: readonly ReasonCode[];
}

export interface HealthSnapshot {
  readonly at: number;
  readonly state: ConnectorState;
  /** When `state` was entered. */
  readonly since: number;
  readonly reasons: readonly Reason[];
  readonly connectorId?: string;
  readonly tunnelId?: string;
  readonly version?: string;
  /** HA connections cloudflared is expected to hold (settings.cloudflared.haConnections). */
  readonly expectedConnections: number;
  /** Registered connections by the best local evidence (log events, else /ready). */
  readonly registeredConnections: number;
  readonly connections: readonly ConnectionView[];
  readonly process: { readonly phase: ProcessObservation['phase'] | 'unknown'; readonly pid?: number; readonly lastExit?: string };
  /** What each local view says about registered connections, for the disagreement check. */
  readonly views: {
    readonly events?: number;
    readonly ready?: number;
    readonly haGauge?: number;
    readonly edge?: number;
  };
  readonly protocol?: string;
  readonly origins: readonly OriginView[];
  readonly edge: EdgeView;
  /** Newest last, bounded. */
  readonly transitions: readonly StateTransition[];
}
