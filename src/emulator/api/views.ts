// The JSON shapes the API returns for the emulator's records (field names as in the v4 API and the SDK's
// CloudflareTunnel / Client / configuration types).
import type { Conn, Connector, EmulatorState, Tunnel } from './state.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function connView(conn: Conn, connector: Connector): Record<string, unknown> {
  return {
    id: conn.id,
    uuid: conn.id,
    client_id: connector.id,
    client_version: conn.clientVersion,
    colo_name: conn.coloName,
    opened_at: iso(conn.openedAt),
    origin_ip: conn.originIp,
    is_pending_reconnect: conn.pendingSince !== null,
  };
}

/** A connector ("client") with its connections, as GET …/connections and …/connectors/{id} return it. */
export function clientView(connector: Connector): Record<string, unknown> {
  return {
    id: connector.id,
    arch: connector.arch,
    version: connector.version,
    run_at: connector.runAt,
    config_version: connector.configVersion,
    features: connector.features,
    conns: [...connector.conns.values()].map((conn) => connView(conn, connector)),
  };
}

export function tunnelView(tunnel: Tunnel, state: EmulatorState): Record<string, unknown> {
  const connectors = [...tunnel.connectors.values()];
  return {
    id: tunnel.id,
    account_tag: tunnel.accountTag,
    name: tunnel.name,
    created_at: iso(tunnel.createdAt),
    deleted_at: isoOrNull(tunnel.deletedAt),
    // Deprecated in the API ("will start returning an empty array") but still filled, as Cloudflare does today.
    connections: connectors.flatMap((connector) => [...connector.conns.values()].map((conn) => connView(conn, connector))),
    conns_active_at: isoOrNull(tunnel.connsActiveAt),
    conns_inactive_at: isoOrNull(tunnel.connsInactiveAt),
    tun_type: 'cfd_tunnel',
    status: state.status(tunnel),
    config_src: tunnel.configSrc,
    remote_config: tunnel.configSrc === 'cloudflare',
    metadata: {},
  };
}

export function configurationView(tunnel: Tunnel): Record<string, unknown> {
  return {
    account_id: tunnel.accountTag,
    tunnel_id: tunnel.id,
    version: tunnel.remoteConfig.version,
    config: tunnel.remoteConfig.config,
    source: tunnel.configSrc,
    created_at: iso(tunnel.remoteConfig.createdAt),
  };
}

/** Everything the emulator holds, for GET /__emulator/state; secrets and tokens are left out. */
export function stateView(state: EmulatorState, faults: unknown): Record<string, unknown> {
  return {
    now: iso(state.now()),
    faults,
    accounts: state.accountTags().map((id) => ({
      id,
      tunnels: state.tunnels(id).map((tunnel) => ({
        ...tunnelView(tunnel, state),
        remote_config_version: tunnel.remoteConfig.version,
        clients: [...tunnel.connectors.values()].map((connector) => ({
          ...clientView(connector),
          // Edge-side detail the API does not show, handy when a test asks which slot or protocol is which.
          slots: [...connector.conns.values()].map((c) => ({ id: c.id, conn_index: c.connIndex, protocol: c.protocol, edge_ip: c.edgeIp })),
        })),
      })),
    })),
  };
}
