// The unix: and unix+tls: prober. cloudflared speaks HTTP (unix+tls: HTTPS) over these sockets, so the probe
// connects and sends one GET. There is no host in the service: the Host header is httpHostHeader or
// `localhost`, and for unix+tls the name verified is originServerName or `localhost`.
import { dialUnix } from './dial.js';
import { getOnce } from './http-exchange.js';
import { tlsSettingsOf, type HttpProberDeps } from './http.js';
import type { Prober } from './run.js';
import { createCaLoader, startTls } from './tls-handshake.js';

const UNIX_HOST = 'localhost';

/** A unix socket prober; each keeps its own caPool cache. */
export function createUnixProber(deps: HttpProberDeps = {}): Prober {
  const loadCa = createCaLoader(deps.readCaPool);
  return async (target, run) => {
    const { service } = target;
    if (service.kind !== 'unix') return { ok: false, error: `${target.serviceText} is not a unix socket service` };
    const or = target.originRequest;
    const tls = service.tls ? await tlsSettingsOf(target, UNIX_HOST, loadCa) : undefined;
    const raw = await dialUnix(run, service.path, or.connectTimeout);
    const socket = tls ? await startTls(run, raw, tls) : raw;
    const hostHeader = or.httpHostHeader !== '' ? or.httpHostHeader : UNIX_HOST;
    return getOnce(run, socket, { hostHeader, path: target.path ?? '/', ...(target.okStatus ? { okStatus: target.okStatus } : {}) });
  };
}

export const probeUnix: Prober = createUnixProber();
