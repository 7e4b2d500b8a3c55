// Which prober serves an origin: chosen by the scheme of the ingress rule's service, one prober per protocol
// as in blackbox_exporter.
import { probeHttp } from './http.js';
import type { Prober } from './run.js';
import { probeTcp } from './tcp.js';
import type { ProbeService } from './types.js';
import { probeUnix } from './unix.js';

/** The schemes probed; every one must have a prober (a missing one is a compile error). */
export type Scheme = 'http' | 'https' | 'ws' | 'wss' | 'tcp' | 'ssh' | 'rdp' | 'smb' | 'unix' | 'unix+tls';

/** Probers by scheme. */
export type ProberMap = Readonly<Record<Scheme, Prober>>;

const STREAM_SCHEMES: ReadonlySet<string> = new Set<Scheme>(['tcp', 'ssh', 'rdp', 'smb']);

export const DEFAULT_PROBERS = {
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
} as const satisfies ProberMap;

/** The scheme key of a service; unknown stream schemes are `tcp`, as cloudflared proxies them as raw TCP. */
export function schemeOf(service: ProbeService): Scheme {
  switch (service.kind) {
    case 'http':
      return service.scheme;
    case 'stream':
      return STREAM_SCHEMES.has(service.scheme) ? (service.scheme as Scheme) : 'tcp';
    case 'unix':
      return service.tls ? 'unix+tls' : 'unix';
  }
}

/** The prober for a service. */
export function proberFor(service: ProbeService, probers: ProberMap = DEFAULT_PROBERS): Prober {
  return probers[schemeOf(service)];
}
