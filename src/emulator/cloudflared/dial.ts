// serveConnection (supervisor/tunnel.go) for one attempt of one HA slot: dial the edge over QUIC or
// HTTP/2, register through the control stream, then serve until the connection is lost, the edge closes
// it after a graceful unregistration, or the server context ends. Log lines and their order follow
// supervisor/tunnel.go, connection/control.go, connection/quic_connection.go and connection/http2.go.
import { Latch, sleep, waitAny } from './clock.js';
import type { DropReason } from './faults.js';
import { QuicPath } from './quic-path.js';
import { pullRemoteConfig } from './remote-config.js';
import type { ConnLog, LiveConn, ProtocolFallback, SlotError, TunnelRuntime } from './runtime.js';
import type { Protocol } from './tracker.js';

const QUIC_IDLE_TIMEOUT = 'timeout: no recent network activity';
const HANDSHAKE_IDLE_MS = 5000;
const TCP_DIAL_TIMEOUT_MS = 15_000;

/** What a QUIC stream accept fails with when the connection dies for `reason`. */
const QUIC_DROP_CAUSE: Readonly<Record<DropReason, string>> = {
  quic_timeout: QUIC_IDLE_TIMEOUT,
  goaway: 'Application error 0x0 (remote)',
  edge_closed: 'received a stateless reset',
};

function curvePreferences(postQuantum: boolean): string {
  return postQuantum ? '[X25519MLKEM768 CurveID(65074)]' : '[X25519MLKEM768 CurveID(65074) CurveP256]';
}

async function dialFailure(rt: TunnelRuntime, log: ConnLog, protocol: Protocol, path: QuicPath | undefined): Promise<SlotError> {
  const ms = protocol === 'quic' ? HANDSHAKE_IDLE_MS : TCP_DIAL_TIMEOUT_MS;
  await sleep(rt.clock, ms, rt.serverCtx);
  if (protocol === 'quic') {
    path?.closed();
    const message = `failed to dial to edge with quic: ${QUIC_IDLE_TIMEOUT}`;
    log.connAware('Failed to dial a quic connection', message);
    return { kind: 'quicDial', message, quicBroken: true };
  }
  const message = `DialContext error: dial tcp ${log.ip.includes(':') ? `[${log.ip}]` : log.ip}:7844: i/o timeout`;
  log.connAware('Unable to establish connection with Cloudflare edge', message);
  return { kind: 'dial', message };
}

/**
 * quicConnection.Serve runs the control stream, the stream acceptor and the datagram handler in one errgroup:
 * whichever ends first cancels the others, and the datagram handler logs its cancellation every time.
 */
function logDatagramHandlerEnd(log: ConnLog, error = 'context canceled'): void {
  log.error('failed to run the datagram handler', error);
}

/** The observer's log lines (connection/observer.go, control.go): no per-connection logger context. */
function observer(rt: TunnelRuntime, level: 'debug' | 'info', message: string, fields: [string, string | number][]): void {
  rt.log.emit(level, message, fields);
}

async function afterRegistration(rt: TunnelRuntime, index: number): Promise<void> {
  if (index === 0 && !rt.options.remotelyManaged) {
    // Conn 0 of a locally managed tunnel pushes its ingress to the edge (UpdateLocalConfiguration).
    rt.metrics.rpcClient('registration', 'update_local_configuration', 0.02, false);
    rt.metrics.localConfigPushes.inc();
  }
  await pullRemoteConfig(rt);
}

/** One dial + register + serve attempt; undefined is Go's nil error. */
export async function serveConnection(
  rt: TunnelRuntime,
  log: ConnLog,
  index: number,
  pf: ProtocolFallback,
  connected: () => void,
): Promise<SlotError | undefined> {
  const protocol = pf.protocol;
  const ip = log.ip;
  log.info(`Tunnel connection curve preferences: ${curvePreferences(rt.options.postQuantum)}`);
  const path = protocol === 'quic' ? new QuicPath(rt, index) : undefined;
  path?.started();
  const blocked = rt.faults.edgeUnreachable || (protocol === 'quic' && rt.faults.quicBlocked);
  if (blocked) return dialFailure(rt, log, protocol, path);
  const rttMs = path?.rttMs ?? 20 + rt.rng.int(30);
  if ((await sleep(rt.clock, rttMs * 1.5, rt.serverCtx)) === 0) {
    path?.closed();
    return { kind: 'canceled', message: 'context canceled' };
  }
  if (protocol === 'http2') log.debug('Connecting via http2');
  path?.handshakeDone();

  const connectionId = rt.rng.uuid();
  const refused = rt.faults.registerRefused;
  const outcome = refused
    ? ({ kind: 'refused', error: refused.error, retryable: refused.retryable } as const)
    : await rt.edge.register(index, connectionId, protocol, ip, rt.orchestrator.version);
  if (outcome.kind === 'unreachable') return dialFailure(rt, log, protocol, path);
  observer(rt, 'debug', 'Registering tunnel connection', [['event', 0], ['connIndex', index], ['ip', ip], ['protocol', protocol]]);
  rt.metrics.rpcClient('registration', 'register_connection', (rttMs * 2) / 1000, outcome.kind !== 'ok');
  if (outcome.kind === 'duplicate') {
    rt.metrics.registerFail.labels({ error: 'dup_edge_conn', rpcName: 'registerConnection' }).inc();
    path?.closed();
    return { kind: 'duplicate', message: 'already connected to this server, trying another address' };
  }
  if (outcome.kind === 'refused') {
    rt.metrics.registerFail.labels({ error: 'server_error', rpcName: 'registerConnection' }).inc();
    path?.closed();
    return { kind: 'register', message: outcome.error, permanent: !outcome.retryable };
  }

  rt.metrics.registerSuccess.labels({ rpcName: 'registerConnection' }).inc();
  observer(rt, 'info', 'Registered tunnel connection', [
    ['event', 0], ['connection', connectionId], ['connIndex', index], ['location', outcome.location], ['ip', ip], ['protocol', protocol],
  ]);
  rt.metrics.registerServerLocation(index, outcome.location);
  rt.tracker.onEvent(index, 'connected', protocol, ip);
  pf.reset();
  connected();
  rt.onRegistered();

  const lost = new Latch();
  // Widened on purpose: live.drop() below assigns it from a callback, which TypeScript's narrowing does not see.
  let reason = 'quic_timeout' as DropReason;
  const live: LiveConn = {
    index, connectionId, ip, location: outcome.location, protocol,
    drop: (r) => {
      reason = r;
      lost.fire();
    },
  };
  rt.live.set(index, live);
  path?.serving(lost);
  void afterRegistration(rt, index);

  const which = await waitAny(rt.graceful, rt.serverCtx, lost);
  if (which === 2) {
    rt.live.delete(index);
    void rt.edge.unregister(connectionId, true);
    if (protocol === 'http2') {
      rt.log.emit('info', 'Lost connection with the edge', [['connIndex', index]]);
      return { kind: 'edgeClosed', message: 'connection with edge closed' };
    }
    rt.tracker.onEvent(index, 'unregistering');
    log.error('failed to accept incoming stream requests', `failed to accept QUIC stream: ${QUIC_DROP_CAUSE[reason]}`);
    // An idle timeout ends the datagram handler with the timeout itself; any other drop cancels it.
    logDatagramHandlerEnd(log, reason === 'quic_timeout' ? QUIC_IDLE_TIMEOUT : undefined);
    path?.closed();
    const message = 'accept stream listener encountered a failure while serving';
    log.connAware('failed to serve tunnel connection', message);
    return { kind: 'streamListener', message };
  }

  // Graceful shutdown (or the server context ending): unregister, then wait for the edge to close the
  // drained connection — or for the grace period to run out and the server context to end.
  rt.tracker.onEvent(index, 'unregistering');
  rt.live.delete(index);
  rt.metrics.rpcClient('registration', 'unregister_connection', (rttMs * 2) / 1000, false);
  await rt.edge.unregister(connectionId, false);
  // The GracefulShutdown RPC takes a round trip before the control stream logs the unregistration.
  if (which === 0) await sleep(rt.clock, rttMs, rt.serverCtx);
  if (which === 0) {
    observer(rt, 'info', 'Unregistered tunnel connection', [['event', 0], ['connIndex', index], ['ip', ip]]);
  }
  const closedBy = which === 1 ? 1 : await waitAny(rt.drained(), rt.serverCtx);
  if (closedBy === 0) await sleep(rt.clock, rttMs, rt.serverCtx);
  path?.closed();
  if (protocol === 'http2') return undefined;
  logDatagramHandlerEnd(log);
  const message = closedBy === 0 ? 'accept stream listener encountered a failure while serving' : 'control stream encountered a failure while serving';
  log.connAware('failed to serve tunnel connection', message);
  return { kind: closedBy === 0 ? 'streamListener' : 'controlStream', message };
}
