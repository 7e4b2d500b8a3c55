// What the connection code of the emulated cloudflared shares: clock, logger, metrics, tracker, faults,
// edge, and the process-wide shutdown latches (graceShutdownC and the server context in cmd.go).
import type { FieldValue } from '../../cloudflared/log/index.js';
import { BackoffHandler } from './backoff.js';
import type { Clock, Latch, Random } from './clock.js';
import type { EdgeAddrs, EdgeClient } from './edge.js';
import type { DropReason, FaultState } from './faults.js';
import type { EmulatorLogger } from './logger.js';
import type { CloudflaredMetrics } from './metrics.js';
import type { Orchestrator } from './orchestrator.js';
import type { ConnTracker, Protocol } from './tracker.js';

/** connection.ProtocolSelector: `auto` starts with QUIC and may fall back; an explicit protocol never does. */
export interface ProtocolSelector {
  current(): Protocol;
  fallback(): Protocol | undefined;
}

export function protocolSelector(flag: 'auto' | 'quic' | 'http2'): ProtocolSelector {
  if (flag === 'auto') return { current: () => 'quic', fallback: () => 'http2' };
  return { current: () => flag, fallback: () => undefined };
}

/** A slot's error as the supervisor classifies it (the Go error types it switches on). */
export interface SlotError {
  readonly kind:
    | 'duplicate'
    | 'quicDial'
    | 'dial'
    | 'register'
    | 'controlStream'
    | 'streamListener'
    | 'edgeClosed'
    | 'canceled';
  readonly message: string;
  /** isQuicBroken: an idle timeout (or "operation not permitted") somewhere in the error chain. */
  readonly quicBroken?: boolean;
  /** ServerRegisterTunnelError.Permanent. */
  readonly permanent?: boolean;
}

/** One registered HA connection. */
export interface LiveConn {
  readonly index: number;
  readonly connectionId: string;
  readonly ip: string;
  readonly location: string;
  readonly protocol: Protocol;
  /** The edge or the path kills the connection. */
  drop(reason: DropReason): void;
}

export interface TunnelOptions {
  readonly haConnections: number;
  readonly retries: number;
  readonly maxEdgeAddrRetries: number;
  readonly gracePeriodMs: number;
  readonly selector: ProtocolSelector;
  readonly postQuantum: boolean;
  /** The tunnel's ingress is managed from the dashboard (token tunnels): no local config push. */
  readonly remotelyManaged: boolean;
}

export interface TunnelRuntime {
  readonly clock: Clock;
  readonly rng: Random;
  readonly log: EmulatorLogger;
  readonly metrics: CloudflaredMetrics;
  readonly tracker: ConnTracker;
  readonly faults: FaultState;
  readonly edge: EdgeClient;
  readonly addrs: EdgeAddrs;
  readonly orchestrator: Orchestrator;
  readonly options: TunnelOptions;
  /** The server context: cancelled when the process stops serving. */
  readonly serverCtx: Latch;
  /** graceShutdownC: closed by the first SIGTERM/SIGINT. */
  readonly graceful: Latch;
  readonly live: Map<number, LiveConn>;
  /** A latch that fires once no proxied request is in flight (the edge closes drained connections). */
  drained(): Latch;
  /** The first registration of the process (pidfile, systemd notify). */
  onRegistered(): void;
}

/** protocolFallback (supervisor/tunnel.go): a slot's backoff plus the protocol it dials with. */
export class ProtocolFallback extends BackoffHandler {
  protocol: Protocol;
  inFallback = false;

  constructor(retries: number, protocol: Protocol, now: () => number, rng: Random) {
    super(retries, 1000, true, now, rng);
    this.protocol = protocol;
  }

  reset(): void {
    this.resetNow();
    this.inFallback = false;
  }

  fallback(protocol: Protocol): void {
    this.resetNow();
    this.protocol = protocol;
    this.inFallback = true;
  }
}

/** A logger with cloudflared's per-connection context (`event`, `ip`, `connIndex`) and ConnAwareLogger. */
export class ConnLog {
  constructor(
    private readonly rt: TunnelRuntime,
    readonly index: number,
    readonly ip: string,
  ) {}

  #context(): [string, FieldValue][] {
    return [['event', 0], ['ip', this.ip], ['connIndex', this.index]];
  }

  info(message: string): void {
    this.rt.log.emit('info', message, this.#context());
  }

  warn(message: string): void {
    this.rt.log.emit('warn', message, this.#context());
  }

  debug(message: string, error?: string): void {
    this.rt.log.emit('debug', message, error === undefined ? this.#context() : [...this.#context(), ['error', error]]);
  }

  /** `Error().Err(err)` on the connection logger. */
  error(message: string, error: string): void {
    this.rt.log.emit('error', message, [...this.#context(), ['error', error]]);
  }

  /** ConnAwareLogger: WRN while any other slot is connected, ERR when none is. */
  connAware(message: string, error: string): void {
    this.rt.log.emit(this.rt.tracker.countActive() === 0 ? 'error' : 'warn', message, [...this.#context(), ['error', error]]);
  }
}
