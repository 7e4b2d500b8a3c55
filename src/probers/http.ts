// The http/https prober (also ws/wss, which cloudflared proxies over HTTP/1.1): DNS, connect, TLS and the first
// response timed apart through node:http on a socket the probe opens itself.
import type { OriginRequest } from '../cloudflared/config/index.js';
import { dialTcp } from './dial.js';
import { getOnce } from './http-exchange.js';
import type { Prober } from './run.js';
import type { ProbeTarget } from './types.js';
import { createCaLoader, startTls, type CaLoader, type CaReader, type TlsSettings } from './tls-handshake.js';

export interface HttpProberDeps {
  /** Reads originRequest.caPool; defaults to the file system. */
  readonly readCaPool?: CaReader;
}

/** The name cloudflared verifies: originServerName, else (matchSNItoHost) the Host override, else the origin host. */
export function tlsServerName(originRequest: OriginRequest, fallback: string): string {
  if (originRequest.originServerName !== '') return originRequest.originServerName;
  if (originRequest.matchSNItoHost && originRequest.httpHostHeader !== '') return originRequest.httpHostHeader;
  return fallback;
}

/** TLS settings of a target, loading its caPool through `loadCa`. */
export async function tlsSettingsOf(
  target: ProbeTarget,
  defaultName: string,
  loadCa: CaLoader,
): Promise<TlsSettings> {
  const or = target.originRequest;
  const secureContext = or.caPool !== '' && !or.noTLSVerify ? await loadCa(or.caPool) : undefined;
  return {
    serverName: tlsServerName(or, defaultName),
    noTLSVerify: or.noTLSVerify,
    tlsTimeoutMs: or.tlsTimeout,
    ...(secureContext ? { secureContext } : {}),
  };
}

/** An http/https prober; each keeps its own caPool cache. */
export function createHttpProber(deps: HttpProberDeps = {}): Prober {
  const loadCa = createCaLoader(deps.readCaPool);
  return async (target, run) => {
    const { service } = target;
    if (service.kind !== 'http') return { ok: false, error: `${target.serviceText} is not an HTTP service` };
    const secure = service.scheme === 'https' || service.scheme === 'wss';
    const or = target.originRequest;
    const tls = secure ? await tlsSettingsOf(target, service.host, loadCa) : undefined;
    const port = service.port ?? (secure ? 443 : 80);
    const tcp = await dialTcp(run, service.host, port, or.connectTimeout, !or.noHappyEyeballs);
    const socket = tls ? await startTls(run, tcp, tls) : tcp;
    const host = service.host.includes(':') ? `[${service.host}]` : service.host;
    const hostHeader = or.httpHostHeader !== '' ? or.httpHostHeader : service.port === undefined ? host : `${host}:${String(port)}`;
    return getOnce(run, socket, { hostHeader, path: target.path ?? '/', ...(target.okStatus ? { okStatus: target.okStatus } : {}), ...(target.keepAnswer === true ? { keepAnswer: true } : {}) });
  };
}

export const probeHttp: Prober = createHttpProber();
