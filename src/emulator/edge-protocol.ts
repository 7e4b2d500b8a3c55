// How an emulated cloudflared talks to the emulated Cloudflare side. The real connector registers each HA
// connection with the edge over QUIC/HTTP2 RPC; in the emulators that control plane is a small JSON API served
// by the API emulator next to its /client/v4 routes, so the tunnel status and connections the API reports
// follow what the emulated replicas really do. Paths start with `/__edge/`, which Cloudflare's API never uses.

/** POST: register one HA connection (cloudflared's registerConnection RPC). */
export const EDGE_REGISTER_PATH = '/__edge/register';
/** POST: a registered connection ended; `pendingReconnect` mirrors the API's is_pending_reconnect. */
export const EDGE_UNREGISTER_PATH = '/__edge/unregister';
/** GET `?tunnelId=...`: the remote configuration the dashboard holds for a `config_src: cloudflare` tunnel. */
export const EDGE_CONFIG_PATH = '/__edge/config';

export interface RegisterRequest {
  /** From the token (`a`). */
  readonly accountTag: string;
  /** From the token (`t`). */
  readonly tunnelId: string;
  /** The token's `s` value (base64), checked like the edge checks the tunnel secret. */
  readonly tunnelSecret: string;
  /** The per-process connector UUID (`Generated Connector ID`). */
  readonly connectorId: string;
  readonly connIndex: number;
  /** The new edge connection UUID (log field `connection`, API `conns[].id`). */
  readonly connectionId: string;
  readonly protocol: 'quic' | 'http2';
  /** The edge address the connection dialled (log field `ip`). */
  readonly edgeIp: string;
  /** The connector host's public address as the edge sees it (API `origin_ip`). */
  readonly originIp: string;
  /** cloudflared version, e.g. `2026.8.2` (API `client_version` / `version`). */
  readonly version: string;
  /** e.g. `linux_amd64`. */
  readonly arch: string;
  readonly features: readonly string[];
  /** Config version the connector runs (-1 before any remote config). */
  readonly configVersion: number;
  /** When the process started, RFC3339 (API `run_at`). */
  readonly runAt: string;
  /** The colo of the edge server that took the connection, when a real edge (test/edge/) asks; else the API picks. */
  readonly coloName?: string;
}

/** The edge's answer: accepted at a colo (log field `location`), or refused with the RPC error text. */
export type RegisterResponse =
  | { readonly ok: true; readonly location: string }
  | { readonly ok: false; readonly error: string; readonly retryable: boolean };

export interface UnregisterRequest {
  readonly tunnelId: string;
  readonly connectorId: string;
  readonly connectionId: string;
  /** True when the connector will reconnect (a loss); false on a clean unregister (graceful shutdown). */
  readonly pendingReconnect: boolean;
}

/** Answer of EDGE_CONFIG_PATH: the dashboard-managed config, in remote JSON form (durations as seconds). */
export interface RemoteConfigResponse {
  readonly version: number;
  readonly config: unknown;
}
