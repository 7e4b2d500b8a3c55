// Can this host reach Cloudflare's edge the way cloudflared does? The same steps as its edge discovery: the SRV
// record `_v2-origintunneld._tcp.argotunnel.com` (`_<region>-v2-…` with --region) naming two regions, their
// addresses, then TCP 7844 (http2 transport), TCP 443 and UDP 7844 (QUIC; see edge-udp.ts for what a UDP
// check can and cannot prove) to the first address(es) of each region. Resolver, names and ports are
// injectable so tests run on loopback.
import { Resolver } from 'node:dns/promises';
import { connect } from 'node:net';
import { goSplitHostPort } from '../go/index.js';
import { inSpan } from '../telemetry/tracing/index.js';
import { checkUdp, type ReachAnswer, type ReachStatus } from './edge-udp.js';
import { describeError, seconds } from './errors.js';
import { runBounded } from './pool.js';

export type { ReachStatus } from './edge-udp.js';

/** The part of node:dns/promises' Resolver the checks use. */
export interface EdgeResolver {
  resolveSrv(name: string): Promise<readonly { name: string; port: number }[]>;
  resolve4(name: string): Promise<readonly string[]>;
  resolve6(name: string): Promise<readonly string[]>;
}

export interface EdgeReachOptions {
  /** cloudflared's --region; '' for the global edge. */
  readonly region?: string;
  /** cloudflared's --edge-ip-version. */
  readonly ipVersion?: '4' | '6' | 'auto';
  /** Bound on every single check. */
  readonly timeoutMs?: number;
  readonly resolver?: EdgeResolver;
  /** The SRV name; derived from `region` when absent. */
  readonly srvName?: string;
  /** Region hosts used when the SRV lookup fails (global edge only). */
  readonly fallbackHosts?: readonly string[];
  readonly tcpPorts?: readonly number[];
  readonly udpPort?: number;
  /** Addresses checked per region and IP family. */
  readonly addressesPerRegion?: number;
  /** cloudflared's --edge `host:port` list: discovery is skipped and these are dialled, TCP and UDP on their port. */
  readonly edges?: readonly string[];
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

export type EdgeCheckKind = 'dns_srv' | 'dns_a' | 'dns_aaaa' | 'tcp' | 'udp';

/** One check. `target` is the SRV name or a region host, both bounded; `address` is the IP dialled. */
export interface EdgeCheck extends ReachAnswer {
  readonly check: EdgeCheckKind;
  readonly target: string;
  readonly address?: string;
  readonly port?: number;
}

export interface EdgeRegion {
  readonly host: string;
  readonly addresses: readonly string[];
}

export interface EdgeReachReport {
  readonly checks: readonly EdgeCheck[];
  readonly regions: readonly EdgeRegion[];
}

export const EDGE_PORT = 7844;
export const EDGE_FALLBACK_HOSTS = ['region1.v2.argotunnel.com', 'region2.v2.argotunnel.com'] as const;

/** The SRV name cloudflared looks up for a region. */
export function edgeSrvName(region = ''): string {
  return region === '' ? '_v2-origintunneld._tcp.argotunnel.com' : `_${region}-v2-origintunneld._tcp.argotunnel.com`;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

async function timed<T>(timeoutMs: number, what: string, work: () => Promise<T>): Promise<{ value?: T; error?: string; durationMs: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { reject(new Error(`timeout after ${seconds(timeoutMs)} in ${what}`)); }, timeoutMs);
  });
  try {
    const value = await Promise.race([work(), deadline]);
    return { value, durationMs: round(performance.now() - started) };
  } catch (error) {
    return { error: describeError(error, what), durationMs: round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** TCP connect to address:port within timeoutMs. */
export function checkTcp(address: string, port: number, timeoutMs: number): Promise<ReachAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const finish = (status: ReachStatus, error?: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, ...(error === undefined ? {} : { error }), durationMs: round(performance.now() - started) });
    };
    const timer = setTimeout(() => { finish('unreachable', `timeout after ${seconds(timeoutMs)} in connect`); }, timeoutMs);
    socket.once('connect', () => { finish('reachable'); });
    socket.on('error', (error) => { finish('unreachable', describeError(error, 'connect')); });
  });
}

/** Options with defaults filled in. */
type Settled = Required<Omit<EdgeReachOptions, 'signal' | 'region' | 'edges'>>;

interface Dial {
  readonly check: 'tcp' | 'udp';
  readonly target: string;
  readonly address: string;
  readonly port: number;
}

async function discoverHosts(o: Settled, checks: EdgeCheck[]): Promise<string[]> {
  const srv = await timed(o.timeoutMs, `lookup SRV ${o.srvName}`, () => o.resolver.resolveSrv(o.srvName));
  const hosts = [...new Set((srv.value ?? []).map((r) => r.name))];
  // cloudflared needs two regions to spread its connections; one is a degraded answer, not a working one.
  const short = srv.value && hosts.length < 2 ? `SRV ${o.srvName} named ${String(hosts.length)} region(s); cloudflared needs 2` : undefined;
  const error = srv.error ?? short;
  checks.push({
    check: 'dns_srv',
    target: o.srvName,
    status: error === undefined ? 'reachable' : 'unreachable',
    ...(error === undefined ? {} : { error }),
    durationMs: srv.durationMs,
  });
  return hosts.length > 0 ? hosts : [...o.fallbackHosts];
}

async function resolveRegion(o: Settled, host: string): Promise<{ region: EdgeRegion; checks: EdgeCheck[] }> {
  const checks: EdgeCheck[] = [];
  const families = o.ipVersion === 'auto' ? (['4', '6'] as const) : ([o.ipVersion] as const);
  const addresses: string[] = [];
  for (const family of families) {
    const kind = family === '4' ? 'dns_a' : 'dns_aaaa';
    const result = await timed(o.timeoutMs, `lookup ${family === '4' ? 'A' : 'AAAA'} ${host}`, () =>
      family === '4' ? o.resolver.resolve4(host) : o.resolver.resolve6(host),
    );
    const found = result.value ?? [];
    addresses.push(...found.slice(0, o.addressesPerRegion));
    // With auto, a missing family is normal (cloudflared uses whichever it gets).
    const status: ReachStatus = found.length > 0 ? 'reachable' : o.ipVersion === 'auto' ? 'unverified' : 'unreachable';
    const error = result.error ?? (found.length === 0 ? `no ${family === '4' ? 'A' : 'AAAA'} records for ${host}` : undefined);
    checks.push({ check: kind, target: host, status, ...(error === undefined ? {} : { error }), durationMs: result.durationMs });
  }
  return { region: { host, addresses }, checks };
}

/** The --edge addresses, each dialled on its own port: cloudflared skips discovery when they are given. */
function givenDials(edges: readonly string[]): { regions: EdgeRegion[]; dials: Dial[] } {
  const given = edges.flatMap((edge) => {
    // cloudflared reads each --edge with Go's net.SplitHostPort.
    const at = goSplitHostPort(edge);
    return at === undefined || at.port === '' ? [] : [{ edge, host: at.host, port: Number(at.port) }];
  });
  return {
    regions: given.map((g) => ({ host: g.edge, addresses: [g.host] })),
    dials: given.flatMap((g) => (['tcp', 'udp'] as const).map((check) => ({ check, target: g.edge, address: g.host, port: g.port }))),
  };
}

/** The regions found through DNS as cloudflared finds them (checks recorded in `checks`), and what to dial in each. */
async function discoveredDials(o: Settled, checks: EdgeCheck[]): Promise<{ regions: EdgeRegion[]; dials: Dial[] }> {
  const hosts = await discoverHosts(o, checks);
  const resolved = await runBounded(hosts, o.concurrency, (host) => resolveRegion(o, host));
  checks.push(...resolved.flatMap((r) => r.checks));
  const regions = resolved.map((r) => r.region);
  const dials = regions.flatMap((region) =>
    region.addresses.flatMap((address) => [
      ...o.tcpPorts.map((port) => ({ check: 'tcp' as const, target: region.host, address, port })),
      { check: 'udp' as const, target: region.host, address, port: o.udpPort },
    ]),
  );
  return { regions, dials };
}

/** Runs every check; never throws. The report lists DNS checks first, then connection checks per region. */
export async function checkEdgeReach(options: EdgeReachOptions = {}): Promise<EdgeReachReport> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const o = {
    ipVersion: options.ipVersion ?? 'auto',
    timeoutMs,
    resolver: options.resolver ?? new Resolver({ timeout: timeoutMs, tries: 2 }),
    srvName: options.srvName ?? edgeSrvName(options.region),
    fallbackHosts: options.fallbackHosts ?? ((options.region ?? '') === '' ? EDGE_FALLBACK_HOSTS : []),
    tcpPorts: options.tcpPorts ?? [EDGE_PORT, 443],
    udpPort: options.udpPort ?? EDGE_PORT,
    addressesPerRegion: options.addressesPerRegion ?? 1,
    concurrency: options.concurrency ?? 4,
  };
  return inSpan('edge reach', { 'tunnelwatch.edge.srv_name': o.srvName }, async (span) => {
    const checks: EdgeCheck[] = [];
    const { regions, dials } = options.edges !== undefined && options.edges.length > 0 ? givenDials(options.edges) : await discoveredDials(o, checks);
    const answers = await runBounded(dials, o.concurrency, (d) =>
      options.signal?.aborted === true
        ? Promise.resolve<ReachAnswer>({ status: 'unverified', error: 'aborted', durationMs: 0 })
        : d.check === 'tcp'
          ? checkTcp(d.address, d.port, timeoutMs)
          : checkUdp(d.address, d.port, timeoutMs, options.signal),
    );
    checks.push(...dials.map((d, i) => ({ ...d, ...(answers[i] as ReachAnswer) })));
    for (const c of checks) {
      span.addEvent(c.check, { target: c.target, status: c.status, ...(c.port === undefined ? {} : { port: c.port }) });
    }
    return { checks, regions };
  });
}
