// The quic-go tracer's view of one QUIC connection attempt (quic/tracing.go → quic/metrics.go): started and
// closed connections, transport parameters, frames and bytes of the handshake and of the 1 s keepalive
// pings, RTT (integer ms), MTU and congestion state — all per `conn_index`, and never deleted.
import type { Latch } from './clock.js';
import type { TunnelRuntime } from './runtime.js';

const INITIAL_PACKET_SIZE = 1232;
const KEEPALIVE_MS = 1000;

export class QuicPath {
  readonly #rt: TunnelRuntime;
  readonly #label: { conn_index: string };
  readonly rttMs: number;
  #closed = false;
  #stop: (() => void) | undefined;
  #ticks = 0;

  constructor(rt: TunnelRuntime, index: number) {
    this.#rt = rt;
    this.#label = { conn_index: String(index) };
    this.rttMs = 8 + ((index * 7 + rt.rng.int(6)) % 30);
  }

  #frames(direction: 'sent' | 'received', counts: Readonly<Record<string, number>>, bytes: number): void {
    const q = this.#rt.metrics.quic();
    const frames = direction === 'sent' ? q.sentFrames : q.receivedFrames;
    for (const [frame_type, n] of Object.entries(counts)) frames.labels({ ...this.#label, frame_type }).inc(n);
    (direction === 'sent' ? q.sentBytes : q.receivedBytes).labels(this.#label).inc(bytes);
  }

  started(): void {
    this.#rt.metrics.quic().totalConnections.inc();
    this.#frames('sent', { Crypto: 1 }, INITIAL_PACKET_SIZE);
  }

  #rtt(latest: number): void {
    const q = this.#rt.metrics.quic();
    q.latestRtt.labels(this.#label).set(latest);
    q.minRtt.labels(this.#label).set(Math.min(this.rttMs, latest));
    q.smoothedRtt.labels(this.#label).set(Math.round((this.rttMs * 7 + latest) / 8));
  }

  handshakeDone(): void {
    const q = this.#rt.metrics.quic();
    q.maxUdpPayload.labels(this.#label).set(1452);
    q.mtu.labels(this.#label).set(INITIAL_PACKET_SIZE);
    q.congestionWindow.labels(this.#label).set(32 * INITIAL_PACKET_SIZE);
    q.congestionState.labels(this.#label).set(0);
    this.#frames('sent', { Crypto: 1, Ack: 3 }, 2 * INITIAL_PACKET_SIZE);
    this.#frames('received', { Crypto: 4, Ack: 2, HandshakeDone: 1, NewConnectionID: 3, NewToken: 1 }, 4 * INITIAL_PACKET_SIZE);
    this.#rtt(this.rttMs);
  }

  /** Keepalive pings every second of cloudflared time until `lost` fires or the path closes. */
  serving(lost: Latch): void {
    const { clock } = this.#rt;
    const period = Math.max(KEEPALIVE_MS, 25 / clock.scale);
    const tick = (): void => {
      if (this.#closed || lost.fired) return;
      this.#ticks++;
      this.#frames('sent', { Ping: 1, Ack: 1 }, 41);
      this.#frames('received', { Ack: 1 }, 38);
      this.#rtt(this.rttMs + this.#rt.rng.int(5));
      const q = this.#rt.metrics.quic();
      if (this.#ticks === 3) {
        q.congestionState.labels(this.#label).set(2);
        q.mtu.labels(this.#label).set(1381);
        q.congestionWindow.labels(this.#label).set(40 * 1381);
      }
      this.#stop = clock.after(period, tick);
    };
    this.#stop = clock.after(period, tick);
  }

  closed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop?.();
    this.#rt.metrics.quic().closedConnections.inc();
  }
}
