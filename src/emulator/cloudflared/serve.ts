// EdgeTunnelServer.Serve and serveTunnel (supervisor/tunnel.go) for one HA slot: run one connection
// attempt, log how it ended, rotate the edge address on connectivity errors, log `Retrying connection in
// up to …`, wait the slot's backoff, and maybe fall back from QUIC to HTTP/2. The gauge
// cloudflared_tunnel_ha_connections counts slots inside this function.
import { formatGoDuration } from '../../go/index.js';
import { sleep } from './clock.js';
import { serveConnection } from './dial.js';
import { ConnLog, type ProtocolFallback, type SlotError, type TunnelRuntime } from './runtime.js';

const QUIC_BLOCKED_HINT =
  'If this log occurs persistently, and cloudflared is unable to connect to Cloudflare Network with `quic` protocol, ' +
  'then most likely your machine/network is getting its egress UDP to port 7844 (or others) blocked or dropped. Make ' +
  'sure to allow egress connectivity as per https://developers.cloudflare.com/cloudflare-one/connections/connect-apps/configuration/ports-and-ips/\n' +
  'If you are using private routing to this Tunnel, then ICMP, UDP (and Private DNS Resolution) will not work unless ' +
  'your cloudflared can connect with Cloudflare Network with `quic`.';

/** IPAddrFallback: dial failures per slot, counted towards --max-edge-addr-retries. */
export class AddrFallback {
  readonly #retries = new Map<number, number>();
  constructor(private readonly maxRetries: number) {}

  /** ShouldGetNewAddress: [rotate the address, connectivity error reached its max (undefined: not one)]. */
  check(index: number, err: SlotError | undefined): [boolean, boolean | undefined] {
    if (err?.kind === 'duplicate') return [true, undefined];
    if (err?.kind === 'quicDial' || err?.kind === 'dial') {
      const n = this.#retries.get(index) ?? 0;
      if (n >= this.maxRetries) {
        this.#retries.set(index, 0);
        return [true, true];
      }
      this.#retries.set(index, n + 1);
      return [true, false];
    }
    return [false, undefined];
  }
}

/** serveTunnel: logs how the attempt ended and whether it is recoverable. */
async function serveTunnel(
  rt: TunnelRuntime,
  log: ConnLog,
  index: number,
  pf: ProtocolFallback,
  connected: () => void,
): Promise<[SlotError | undefined, boolean]> {
  const err = await serveConnection(rt, log, index, pf, connected);
  let result: [SlotError | undefined, boolean] = [undefined, false];
  if (err !== undefined) {
    switch (err.kind) {
      case 'duplicate':
        log.connAware('Unable to establish connection.', err.message);
        result = [err, false];
        break;
      case 'register':
        log.connAware('Register tunnel error from server side', err.message);
        result = [err, err.permanent !== true];
        break;
      case 'quicDial':
        result = [err, false];
        break;
      case 'canceled':
        log.debug('Serve tunnel error', err.message);
        result = [err, false];
        break;
      default:
        log.connAware('Serve tunnel error', err.message);
        result = [err, true];
    }
  }
  rt.tracker.onEvent(index, 'disconnected');
  return result;
}

/** selectNextProtocol: false when there is nothing left to try. */
function selectNextProtocol(rt: TunnelRuntime, log: ConnLog, pf: ProtocolFallback, cause: SlotError | undefined): boolean {
  const quicBroken = cause?.quicBroken === true;
  const fallback = rt.options.selector.fallback();
  if (pf.reachedMaxRetries() || (fallback !== undefined && quicBroken)) {
    if (quicBroken) log.warn(QUIC_BLOCKED_HINT);
    if (fallback === undefined || pf.protocol === fallback) return false;
    log.info(`Switching to fallback protocol ${fallback}`);
    pf.fallback(fallback);
  } else if (!pf.inFallback) {
    const current = rt.options.selector.current();
    if (pf.protocol !== current) {
      pf.protocol = current;
      log.info(`Changing protocol to ${current}`);
    }
  }
  return true;
}

/** Serve: one round of a slot's loop; undefined is Go's nil (graceful end). */
export async function serve(
  rt: TunnelRuntime,
  addrFallback: AddrFallback,
  index: number,
  pf: ProtocolFallback,
  connected: () => void,
): Promise<SlotError | undefined> {
  rt.metrics.haConnections.inc();
  try {
    const log = new ConnLog(rt, index, rt.addrs.get(index));
    const [err, recoverable] = await serveTunnel(rt, log, index, pf, connected);
    let shouldFallback = recoverable;
    const [rotate, reachedMax] = addrFallback.check(index, err);
    if (rotate) {
      rt.addrs.rotate(index);
      if (reachedMax !== undefined) shouldFallback = reachedMax;
    }
    const upTo = pf.maxBackoffMs();
    if (rt.serverCtx.fired || upTo === undefined) return err;
    rt.tracker.onEvent(index, 'reconnecting');
    log.info(`Retrying connection in up to ${formatGoDuration(upTo)}`);
    const which = await sleep(rt.clock, pf.nextWaitMs() ?? 0, rt.serverCtx, rt.graceful);
    if (which === 0) return { kind: 'canceled', message: 'context canceled' };
    if (which === 1) return undefined;
    if (!shouldFallback) return err;
    if (rt.tracker.hasConnectedWith(rt.options.selector.current())) return err;
    selectNextProtocol(rt, log, pf, err);
    return err;
  } finally {
    rt.metrics.haConnections.dec();
  }
}
