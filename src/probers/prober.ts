// Which prober serves an origin: chosen by the scheme of the ingress rule's service, one prober per protocol
// as in blackbox_exporter.
import type { OriginService } from '../cloudflared/config/index.js';
import { probeHttp } from './http.js';
import { probeTcp } from './tcp.js';
import type { Prober } from './types.js';
import { probeUnix } from './unix.js';

/** The schemes probed; every one must have a prober (a missing one is a compile error). */
export type Scheme = 'http' | 'https' | 'ws' | 'wss' | 'tcp' | 'ssh' | 'rdp' | 'smb' | 'unix' | 'unix+tls';

/** Probers by scheme; unknown stream schemes fall back to `tcp`, as cloudflared proxies them as raw TCP. */
export type ProberMap = Readonly<Record<string, Prober>>;

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
} as const satisfies Readonly<Record<Scheme, Prober>>;

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
