// The emulated edge as the connector sees it: the two regions of anycast addresses edge discovery would
// return (allregions), which colo each address lands in, and the registration RPCs — sent to the API
// emulator's /__edge routes when CFEMU_API is set, accepted locally otherwise.
import { z } from 'zod';
import {
  EDGE_CONFIG_PATH,
  EDGE_REGISTER_PATH,
  EDGE_UNREGISTER_PATH,
  type RegisterRequest,
  type RemoteConfigResponse,
} from '../edge-protocol.js';
import type { Random } from './clock.js';
import type { Protocol } from './tracker.js';

const V4_REGIONS = [
  [7, 27, 37, 47, 57, 67, 77, 107, 167, 227].map((n) => `198.41.192.${String(n)}`),
  [13, 23, 33, 43, 53, 63, 73, 113, 193, 233].map((n) => `198.41.200.${String(n)}`),
];
const V6_REGIONS = [
  Array.from({ length: 10 }, (_, i) => `2606:4700:a0::${String(i + 1)}`),
  Array.from({ length: 10 }, (_, i) => `2606:4700:a8::${String(i + 1)}`),
];
/** Two neighbouring metros per area: region 1 addresses land in the first, region 2 in the second. */
const AREAS: readonly (readonly [readonly string[], readonly string[]])[] = [
  [['lax01', 'lax05', 'lax08', 'lax10'], ['sjc01', 'sjc05', 'sjc07', 'sjc08']],
  [['ams01', 'ams07', 'ams08'], ['fra06', 'fra08', 'fra13']],
  [['lhr01', 'lhr10', 'lhr13'], ['ams01', 'ams07', 'ams08']],
  [['ord02', 'ord07', 'ord08'], ['dfw06', 'dfw07', 'dfw09']],
  [['iad06', 'iad08', 'iad10'], ['ewr01', 'ewr05', 'ewr07']],
  [['sin01', 'sin05', 'sin07'], ['hkg01', 'hkg03', 'hkg05']],
];

/** allregions.NewNoResolve: static addresses alternate between the two regions; the `ip` logged is the host. */
function staticRegions(edges: readonly string[]): string[][] {
  const hosts = edges.map((e) => {
    const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(e);
    const host = bracketed?.[1] ?? (e.split(':').length === 2 ? (e.split(':')[0] ?? e) : e);
    return host === 'localhost' ? '127.0.0.1' : host;
  });
  return [hosts.filter((_, i) => i % 2 === 0), hosts.filter((_, i) => i % 2 === 1)];
}

/** Edge addresses per HA slot, rotated the way edgediscovery does (a new unused address in the same region). */
export class EdgeAddrs {
  readonly #regions: string[][];
  readonly #bySlot = new Map<number, string>();
  readonly #colos = new Map<string, string>();

  /** `edges`: the hidden `--edge host:port` flag; when given, those addresses are the whole edge (StaticEdge). */
  constructor(rng: Random, ipVersion: '4' | '6' | 'auto', edges: readonly string[] = []) {
    const source = edges.length > 0 ? staticRegions(edges) : ipVersion === '6' ? V6_REGIONS : V4_REGIONS;
    this.#regions = source.map((r) => [...r].sort(() => rng.next() - 0.5));
    const metros = rng.pick(AREAS);
    this.#regions.forEach((region, r) => {
      const metro = metros[r] ?? [];
      region.forEach((ip, i) => this.#colos.set(ip, metro[i % metro.length] ?? 'lax01'));
    });
  }

  /** How many addresses there are to spread HA connections over. */
  available(): number {
    return this.#regions.reduce((n, r) => n + r.length, 0);
  }

  #unused(region: number): string {
    const used = new Set(this.#bySlot.values());
    const list = this.#regions[region] ?? [];
    return list.find((ip) => !used.has(ip)) ?? list[0] ?? '198.41.192.7';
  }

  /** GetAddr: the slot's address, assigned from its region on first use. */
  get(slot: number): string {
    const known = this.#bySlot.get(slot);
    if (known !== undefined) return known;
    const ip = this.#unused(slot % this.#regions.length);
    this.#bySlot.set(slot, ip);
    return ip;
  }

  /** GetDifferentAddr: moves the slot to another unused address of the same region. */
  rotate(slot: number): string {
    const old = this.get(slot);
    const region = this.#regions.findIndex((r) => r.includes(old));
    this.#bySlot.delete(slot);
    const list = this.#regions[region] ?? [];
    const used = new Set(this.#bySlot.values());
    const start = list.indexOf(old);
    const next = [...list.slice(start + 1), ...list.slice(0, start)].find((ip) => !used.has(ip)) ?? old;
    this.#bySlot.set(slot, next);
    return next;
  }

  /** The colo an address lands in (the `location` the local edge answers with). */
  colo(ip: string): string {
    return this.#colos.get(ip) ?? 'lax01';
  }
}

export type RegisterOutcome =
  | { readonly kind: 'ok'; readonly location: string }
  | { readonly kind: 'refused'; readonly error: string; readonly retryable: boolean }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'unreachable'; readonly error: string };

const RegisterResponseSchema = z.union([
  z.object({ ok: z.literal(true), location: z.string() }),
  z.object({ ok: z.literal(false), error: z.string(), retryable: z.boolean() }),
]);
const RemoteConfigSchema = z.object({ version: z.number().int(), config: z.unknown() });

/** Who registers: fixed for the process. */
export interface Identity {
  readonly accountTag: string;
  readonly tunnelId: string;
  readonly tunnelSecret: string;
  readonly connectorId: string;
  readonly version: string;
  readonly arch: string;
  readonly features: readonly string[];
  readonly originIp: string;
  readonly runAt: string;
}

export class EdgeClient {
  readonly #api: string | undefined;
  readonly #identity: Identity;
  readonly #addrs: EdgeAddrs;

  constructor(api: string | undefined, identity: Identity, addrs: EdgeAddrs) {
    this.#api = api === undefined || api === '' ? undefined : api.replace(/\/+$/, '');
    this.#identity = identity;
    this.#addrs = addrs;
  }

  get usesApi(): boolean {
    return this.#api !== undefined;
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${this.#api ?? ''}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    return (await res.json());
  }

  async register(connIndex: number, connectionId: string, protocol: Protocol, edgeIp: string, configVersion: number): Promise<RegisterOutcome> {
    if (this.#api === undefined) return { kind: 'ok', location: this.#addrs.colo(edgeIp) };
    const { accountTag, tunnelId, tunnelSecret, connectorId, originIp, version, arch, features, runAt } = this.#identity;
    const req: RegisterRequest = {
      accountTag, tunnelId, tunnelSecret, connectorId, connIndex, connectionId, protocol, edgeIp, originIp, version, arch, features, configVersion, runAt,
    };
    try {
      const parsed = RegisterResponseSchema.safeParse(await this.#post(EDGE_REGISTER_PATH, req));
      if (!parsed.success) return { kind: 'refused', error: 'Unknown server error', retryable: true };
      const answer = parsed.data;
      if (answer.ok) return { kind: 'ok', location: answer.location };
      return answer.error === 'EDUPCONN' ? { kind: 'duplicate' } : { kind: 'refused', error: answer.error, retryable: answer.retryable };
    } catch (e) {
      return { kind: 'unreachable', error: e instanceof Error ? e.message : String(e) };
    }
  }

  /** Tells the API the connection ended; failures are ignored (the edge notices on its own). */
  async unregister(connectionId: string, pendingReconnect: boolean): Promise<void> {
    if (this.#api === undefined) return;
    try {
      await this.#post(EDGE_UNREGISTER_PATH, { tunnelId: this.#identity.tunnelId, connectorId: this.#identity.connectorId, connectionId, pendingReconnect });
    } catch {
      // Nothing to do: an unreachable API is an edge that already dropped the connection.
    }
  }

  /** The dashboard configuration for this tunnel, when the API has one. */
  async remoteConfig(): Promise<RemoteConfigResponse | undefined> {
    if (this.#api === undefined) return undefined;
    try {
      const res = await fetch(`${this.#api}${EDGE_CONFIG_PATH}?tunnelId=${encodeURIComponent(this.#identity.tunnelId)}`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) return undefined;
      const parsed = RemoteConfigSchema.safeParse(await res.json());
      return parsed.success ? { version: parsed.data.version, config: parsed.data.config } : undefined;
    } catch {
      return undefined;
    }
  }
}
