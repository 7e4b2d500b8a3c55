// What the emulated Cloudflare side knows: tunnels per account, and the connectors and connections the emulated
// cloudflared replicas registered through /__edge. No I/O and no timers: time comes from the injected clock,
// and connections that linger after a loss are dropped lazily whenever a tunnel is read, so tests move time
// by moving the clock.
import { timingSafeEqual } from 'node:crypto';
import type { RegisterRequest, RegisterResponse, RemoteConfigResponse, UnregisterRequest } from '../edge-protocol.js';
import type { Seed } from './seed.js';
import { tunnelStatus, type ConnectionCounts, type TunnelStatus } from './status.js';

/** Milliseconds since the epoch. */
export type Clock = () => number;

/** One HA connection as the edge tracks it (API `conns[]`). */
export interface Conn {
  readonly id: string;
  readonly connIndex: number;
  readonly protocol: 'quic' | 'http2';
  readonly edgeIp: string;
  readonly originIp: string;
  readonly coloName: string;
  readonly clientVersion: string;
  readonly openedAt: number;
  /** When the connection dropped with the connector expected back (is_pending_reconnect); null while active. */
  readonly pendingSince: number | null;
}

/** One cloudflared process (API "client"), keyed by its connector id. */
export interface Connector {
  readonly id: string;
  readonly version: string;
  readonly arch: string;
  readonly runAt: string;
  readonly features: readonly string[];
  readonly configVersion: number;
  readonly conns: ReadonlyMap<string, Conn>;
}

export interface RemoteConfig {
  readonly version: number;
  /** null until the first configuration is stored (version 0). */
  readonly config: Readonly<Record<string, unknown>> | null;
  readonly createdAt: number;
}

export interface Tunnel {
  readonly id: string;
  readonly accountTag: string;
  readonly name: string;
  readonly createdAt: number;
  readonly deletedAt: number | null;
  readonly configSrc: 'local' | 'cloudflare';
  readonly secret: Buffer;
  readonly remoteConfig: RemoteConfig;
  /** When the current (or last) period with at least one active connection began; null = never active. */
  readonly connsActiveAt: number | null;
  /** When the tunnel last lost its last active connection; null while active or never active. */
  readonly connsInactiveAt: number | null;
  readonly connectors: ReadonlyMap<string, Connector>;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };
type ConnState = Writable<Conn>;
interface ConnectorState extends Writable<Omit<Connector, 'conns'>> {
  conns: Map<string, ConnState>;
}
interface TunnelState extends Writable<Omit<Tunnel, 'connectors'>> {
  connectors: Map<string, ConnectorState>;
}

const refuse = (error: string): RegisterResponse => ({ ok: false, error, retryable: false });

function sameSecret(expected: Buffer, base64: string): boolean {
  const given = Buffer.from(base64, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export class EmulatorState {
  readonly #clock: Clock;
  readonly #colos: readonly string[];
  readonly #lingerMs: number;
  readonly #accounts = new Map<string, TunnelState[]>();
  readonly #tunnels = new Map<string, TunnelState>();

  constructor(seed: Pick<Seed, 'accounts' | 'colos' | 'pendingReconnectLingerMs'>, clock: Clock) {
    this.#clock = clock;
    this.#colos = seed.colos;
    this.#lingerMs = seed.pendingReconnectLingerMs;
    const start = clock();
    for (const account of seed.accounts) {
      const tunnels = account.tunnels.map((t): TunnelState => ({
        id: t.id,
        accountTag: account.id,
        name: t.name,
        createdAt: t.createdAt ?? start,
        deletedAt: t.deletedAt,
        configSrc: t.configSrc,
        secret: t.secret,
        remoteConfig: t.config ? { ...t.config, createdAt: t.createdAt ?? start } : { version: 0, config: null, createdAt: t.createdAt ?? start },
        connsActiveAt: null,
        connsInactiveAt: null,
        connectors: new Map(),
      }));
      this.#accounts.set(account.id, tunnels);
      for (const t of tunnels) this.#tunnels.set(t.id, t);
    }
  }

  now(): number {
    return this.#clock();
  }

  accountTags(): readonly string[] {
    return [...this.#accounts.keys()];
  }

  hasAccount(accountTag: string): boolean {
    return this.#accounts.has(accountTag);
  }

  /** The account's tunnels, deleted ones included, in seed order. */
  tunnels(accountTag: string): readonly Tunnel[] {
    const tunnels = this.#accounts.get(accountTag) ?? [];
    for (const t of tunnels) this.#sweep(t);
    return tunnels;
  }

  tunnel(accountTag: string, tunnelId: string): Tunnel | undefined {
    const t = this.#tunnels.get(tunnelId);
    if (t?.accountTag !== accountTag) return undefined;
    this.#sweep(t);
    return t;
  }

  counts(tunnel: Tunnel): ConnectionCounts {
    let active = 0;
    let pendingReconnect = 0;
    for (const connector of tunnel.connectors.values()) {
      for (const conn of connector.conns.values()) {
        if (conn.pendingSince === null) active += 1;
        else pendingReconnect += 1;
      }
    }
    return { everActive: tunnel.connsActiveAt !== null, active, pendingReconnect };
  }

  status(tunnel: Tunnel): TunnelStatus {
    return tunnelStatus(this.counts(tunnel));
  }

  /**
   * The edge's registerConnection: checks the tunnel and its secret, then tracks the connection at a colo.
   * IDs are matched lower-case, as the API paths that look them up are.
   */
  register(req: RegisterRequest): RegisterResponse {
    const t = this.#tunnels.get(req.tunnelId.toLowerCase());
    if (t?.accountTag !== req.accountTag || t.deletedAt !== null) return refuse('Unauthorized: Failed to get tunnel');
    if (!sameSecret(t.secret, req.tunnelSecret)) return refuse('Unauthorized: Invalid tunnel secret');
    this.#sweep(t);
    const connectorId = req.connectorId.toLowerCase();
    const sameSlot = [...(t.connectors.get(connectorId)?.conns.values() ?? [])].filter(
      (c) => c.connIndex === req.connIndex && c.pendingSince === null && c.id !== req.connectionId,
    );
    // cloudflared's EDUPCONN: this edge server already holds the slot; the connector then tries another address.
    if (sameSlot.some((c) => c.edgeIp === req.edgeIp)) return { ok: false, error: 'EDUPCONN', retryable: true };
    const activeBefore = this.counts(t).active;
    // The slot reconnected elsewhere without saying goodbye: the old server has lost it, as after a timeout.
    for (const old of sameSlot) old.pendingSince = this.#clock();
    const fields = { version: req.version, arch: req.arch, runAt: req.runAt, features: [...req.features], configVersion: req.configVersion };
    const existing = t.connectors.get(connectorId);
    const connector: ConnectorState = existing ? Object.assign(existing, fields) : { id: connectorId, conns: new Map(), ...fields };
    t.connectors.set(connectorId, connector);
    // The edge's own colo when it says; else deterministic, like a connector that always lands on the same two
    // regions: the slot picks the colo.
    const coloName = req.coloName ?? this.#colos[req.connIndex % this.#colos.length] ?? 'unknown';
    connector.conns.set(req.connectionId, {
      id: req.connectionId,
      connIndex: req.connIndex,
      protocol: req.protocol,
      edgeIp: req.edgeIp,
      originIp: req.originIp,
      coloName,
      clientVersion: req.version,
      openedAt: this.#clock(),
      pendingSince: null,
    });
    this.#noteActivity(t, activeBefore);
    return { ok: true, location: coloName };
  }

  /** A connection ended: kept as pending-reconnect for the linger after a loss, dropped at once when clean. */
  unregister(req: UnregisterRequest): boolean {
    const t = this.#tunnels.get(req.tunnelId.toLowerCase());
    const connector = t?.connectors.get(req.connectorId.toLowerCase());
    const conn = connector?.conns.get(req.connectionId);
    if (!t || !connector || !conn) return false;
    const activeBefore = this.counts(t).active;
    if (req.pendingReconnect) conn.pendingSince ??= this.#clock();
    else connector.conns.delete(req.connectionId);
    if (connector.conns.size === 0) t.connectors.delete(connector.id);
    this.#noteActivity(t, activeBefore);
    return true;
  }

  /** API cleanup: drops a connector's connections (every connector's without clientId), whatever their state. */
  deleteConnections(tunnel: Tunnel, clientId?: string): void {
    const t = this.#own(tunnel);
    const activeBefore = this.counts(t).active;
    if (clientId === undefined) t.connectors.clear();
    else t.connectors.delete(clientId);
    this.#noteActivity(t, activeBefore);
  }

  /** Stores a new remote configuration version; the tunnel is dashboard-managed from then on. */
  putConfiguration(tunnel: Tunnel, config: Readonly<Record<string, unknown>>): RemoteConfig {
    const t = this.#own(tunnel);
    t.remoteConfig = { version: t.remoteConfig.version + 1, config, createdAt: this.#clock() };
    t.configSrc = 'cloudflare';
    return t.remoteConfig;
  }

  /** What the edge would push to a connector: nothing for a local tunnel or before a first configuration. */
  edgeConfig(tunnelId: string): RemoteConfigResponse | undefined {
    const t = this.#tunnels.get(tunnelId.toLowerCase());
    if (!t || t.deletedAt !== null || t.configSrc !== 'cloudflare' || t.remoteConfig.config === null) return undefined;
    return { version: t.remoteConfig.version, config: t.remoteConfig.config };
  }

  #own(tunnel: Tunnel): TunnelState {
    const t = this.#tunnels.get(tunnel.id);
    if (!t) throw new Error(`tunnel ${tunnel.id} is not part of this state`);
    return t;
  }

  #sweep(t: TunnelState): void {
    const now = this.#clock();
    for (const connector of t.connectors.values()) {
      for (const conn of connector.conns.values()) {
        if (conn.pendingSince !== null && now >= conn.pendingSince + this.#lingerMs) connector.conns.delete(conn.id);
      }
      if (connector.conns.size === 0) t.connectors.delete(connector.id);
    }
  }

  // conns_active_at / conns_inactive_at move only when the tunnel crosses between "some active" and "none".
  #noteActivity(t: TunnelState, activeBefore: number): void {
    const activeNow = this.counts(t).active;
    if (activeBefore === 0 && activeNow > 0) {
      t.connsActiveAt = this.#clock();
      t.connsInactiveAt = null;
    } else if (activeBefore > 0 && activeNow === 0) {
      t.connsInactiveAt = this.#clock();
    }
  }
}
