// The one shape every origin prober has, as in Prometheus' blackbox_exporter: a function from a target to a
// result that never throws, chosen by the scheme of the ingress rule's service.
import type { OriginRequest } from '../cloudflared/origin-request.js';
import type { OriginService } from '../cloudflared/origin-service.js';
import { probeHttp } from './http.js';
import type { StatusRange } from './status.js';
import { probeTcp } from './tcp.js';
import { probeUnix } from './unix.js';

export { ANY_STATUS, statusAllowed, type StatusRange } from './status.js';

/** The services a prober can reach: HTTP(S) URLs, raw TCP streams and Unix sockets. */
export type ProbeService = Extract<OriginService, { kind: 'http' | 'stream' | 'unix' }>;

/** One origin to probe. Built by targets.ts from ingress rules and settings; carries no request data. */
export interface ProbeTarget {
  /** `rule<i>:<service>` for ingress rules, the settings name for extra targets. Bounded: one per origin. */
  readonly key: string;
  readonly service: ProbeService;
  /** The service as cloudflared prints it. */
  readonly serviceText: string;
  /** Effective originRequest options (timeouts, Host, SNI, CA pool, verification). */
  readonly originRequest: OriginRequest;
  /** Overall deadline of one probe, all phases included. */
  readonly timeoutMs: number;
  /** Request path for HTTP targets; `/` when absent. */
  readonly path?: string;
  /** Statuses that make an HTTP probe ok; ANY_STATUS when absent. */
  readonly okStatus?: readonly StatusRange[];
  /** Indexes of the ingress rules this target stands for (empty for settings targets). */
  readonly rules: readonly number[];
}

/** Durations of the phases a probe went through, in milliseconds; absent when the phase was not reached. */
export interface ProbePhases {
  dnsMs?: number;
  connectMs?: number;
  tlsMs?: number;
  firstByteMs?: number;
  totalMs: number;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** Short and human: `connect ECONNREFUSED 127.0.0.1:9`, `status 503`, `timeout after 5s in connect`. */
  readonly error?: string;
  readonly durationMs: number;
  readonly phases: ProbePhases;
  /** HTTP status, when the origin answered HTTP. */
  readonly status?: number;
  /** Unix ms at which the origin's leaf certificate expires, when TLS was spoken. */
  readonly tlsNotAfter?: number;
  /** First line an SSH origin sent. */
  readonly banner?: string;
}

/** Probes one target. Never throws: every failure is `ok: false` with an error. */
export type Prober = (target: ProbeTarget, signal: AbortSignal) => Promise<ProbeResult>;

/** Probers by scheme; unknown stream schemes fall back to `tcp`, as cloudflared proxies them as raw TCP. */
export type ProberMap = Readonly<Record<string, Prober>>;

export const DEFAULT_PROBERS: ProberMap = {
  http: probeHttp,
  https: probeHttp,
  ws: probeHttp,
  wss: probeHttp,
  tcp: probeTcp,
  ssh: probeTcp,
  rdp: probeTcp,
  smb: probeTcp,
  unix: probeUnix,
  'unix+tls': probeUnix,
};

/** The scheme key of a service in a ProberMap, or undefined when it cannot be probed. */
export function schemeOf(service: OriginService): string | undefined {
  switch (service.kind) {
    case 'http':
    case 'stream':
      return service.scheme;
    case 'unix':
      return service.tls ? 'unix+tls' : 'unix';
    default:
      return undefined;
  }
}

/** The prober for a service, or undefined for services cloudflared answers itself (http_status, hello_world, …). */
export function proberFor(service: OriginService, probers: ProberMap = DEFAULT_PROBERS): Prober | undefined {
  const scheme = schemeOf(service);
  if (scheme === undefined) return undefined;
  return probers[scheme] ?? (service.kind === 'stream' ? probers.tcp : undefined);
}
