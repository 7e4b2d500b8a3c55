// What the collectors and the supervisor tell the health model. Each observation is plain data stamped with
// the wall-clock time it was made; the model (health-model.ts) folds them into one snapshot. No I/O here.
import type { LogEvent } from '../cloudflared/log/index.js';
import type { ConnectorMetrics } from '../cloudflared/metrics/index.js';

/** The supervisor's view of the child process. */
/** What the process view can say of the connector process (see ProcessObservation.phase). */
export const PROCESS_PHASES = ['running', 'backoff', 'breaker_open', 'stopped', 'attached'] as const;

export interface ProcessObservation {
  readonly kind: 'process';
  readonly at: number;
  /**
   * `running`: a child is alive; `backoff`: it ended and a restart is scheduled; `breaker_open`: crash loop,
   * no more restarts; `stopped`: stopped on purpose (or never started); `attached`: tunnelwatch does not run
   * the connector and only watches it.
   */
  readonly phase: (typeof PROCESS_PHASES)[number];
  readonly pid?: number;
  /** Why the last child ended, e.g. `exit 1`, `signal SIGKILL`, `hang`, `disconnected_too_long`. */
  readonly lastExit?: string;
}

/** One parsed cloudflared output line. */
export interface LogObservation {
  readonly kind: 'log';
  readonly at: number;
  readonly event: LogEvent;
}

/** One poll of the connector's /ready. */
export type ReadyObservation =
  | { readonly kind: 'ready'; readonly at: number; readonly ok: true; readonly status: number; readonly readyConnections: number; readonly connectorId?: string }
  | { readonly kind: 'ready'; readonly at: number; readonly ok: false; readonly error: string };

/** One poll of the connector's /metrics, typed. */
export type MetricsObservation =
  | { readonly kind: 'metrics'; readonly at: number; readonly ok: true; readonly metrics: ConnectorMetrics }
  | { readonly kind: 'metrics'; readonly at: number; readonly ok: false; readonly error: string };

/** One edge connection of a connector, as the Cloudflare API lists it. */
export interface EdgeConnection {
  readonly id: string;
  readonly colo: string;
  readonly openedAt?: string;
  readonly originIp?: string;
  readonly pendingReconnect: boolean;
}

/** One connector of the tunnel, as the Cloudflare API lists it. */
export interface EdgeConnector {
  readonly id: string;
  readonly version?: string;
  readonly arch?: string;
  readonly runAt?: string;
  readonly connections: readonly EdgeConnection[];
}

/** Cloudflare's tunnel statuses, as the API names them. */
export const TUNNEL_STATUSES = ['healthy', 'degraded', 'down', 'inactive'] as const;
export type TunnelStatus = (typeof TUNNEL_STATUSES)[number];

/** One poll of the Cloudflare API; `ok: false` means the edge view is unknown, never that anything is down. */
export type EdgeObservation =
  | {
      readonly kind: 'edge';
      readonly at: number;
      readonly ok: true;
      readonly tunnelStatus: TunnelStatus;
      readonly tunnelName?: string;
      readonly connectors: readonly EdgeConnector[];
    }
  | { readonly kind: 'edge'; readonly at: number; readonly ok: false; readonly error: string };

/** One probe of one origin. `key` is stable per target (rule index and service, or the settings name). */
export interface OriginObservation {
  readonly kind: 'origin';
  readonly at: number;
  readonly key: string;
  readonly ok: boolean;
  /** Why the probe failed, e.g. `connect ECONNREFUSED 127.0.0.1:9`, `status 503`, `timeout after 5s`. */
  readonly error?: string;
  readonly durationMs: number;
}

/** The origin targets changed (new ingress rules, a remote config update). Origins no longer listed are dropped. */
export interface OriginTargetsObservation {
  readonly kind: 'origin_targets';
  readonly at: number;
  readonly targets: readonly { readonly key: string; readonly service: string; readonly rule?: number; readonly hostname?: string }[];
}

/** Time passes: lets time-based reasons (storms ending, disagreements settling) change without new data. */
export interface TickObservation {
  readonly kind: 'tick';
  readonly at: number;
}

export type Observation =
  | ProcessObservation
  | LogObservation
  | ReadyObservation
  | MetricsObservation
  | EdgeObservation
  | OriginObservation
  | OriginTargetsObservation
  | TickObservation;
