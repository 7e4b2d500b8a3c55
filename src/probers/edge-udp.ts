// The UDP 7844 check. UDP has no handshake, so silence proves nothing: the datagram may be dropped on the way
// out, on the way back, or ignored. Only two answers are certain: an ICMP port-unreachable (seen as
// ECONNREFUSED on a connected socket) means unreachable, and any reply means reachable. The datagram is a
// QUIC long-header packet with a reserved version (RFC 9000 §6.3, 0x?a?a?a?a), padded to the 1200 bytes a
// QUIC server needs before it answers; a compliant server replies with a Version Negotiation packet, which
// proves the path both ways without a handshake. A server that does not, or a firewall that drops replies,
// leaves the result `unverified` — only a full QUIC handshake (cloudflared's own) can settle that.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { describeError, seconds } from './errors.js';

export type ReachStatus = 'reachable' | 'unreachable' | 'unverified';

export interface ReachAnswer {
  readonly status: ReachStatus;
  readonly error?: string;
  readonly durationMs: number;
}

/** A QUIC packet no server supports: a reply to it is a Version Negotiation packet. */
export function quicVersionProbe(): Buffer {
  const packet = Buffer.alloc(1200);
  packet[0] = 0xc0; // long header, fixed bit, Initial
  packet.writeUInt32BE(0x1a2a3a4a, 1); // reserved "greasing" version
  packet[5] = 8; // destination connection ID length
  randomBytes(8).copy(packet, 6);
  packet[14] = 8; // source connection ID length
  randomBytes(8).copy(packet, 15);
  return packet;
}

/** Sends the probe twice (once at the start, once halfway) and waits `timeoutMs` for a reply or an ICMP error. */
export function checkUdp(address: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<ReachAnswer> {
  const started = performance.now();
  const elapsed = (): number => Math.round((performance.now() - started) * 1000) / 1000;
  const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  return new Promise<ReachAnswer>((resolve) => {
    const timers: NodeJS.Timeout[] = [];
    let done = false;
    const finish = (status: ReachStatus, error?: string): void => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      resolve({ status, ...(error === undefined ? {} : { error }), durationMs: elapsed() });
    };
    const onAbort = (): void => { finish('unverified', 'aborted'); };
    if (signal?.aborted) {
      finish('unverified', 'aborted');
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') finish('unreachable', `udp ${address}:${String(port)}: port unreachable (ICMP)`);
      else finish('unreachable', describeError(error, 'udp'));
    });
    socket.once('message', () => { finish('reachable'); });
    const send = (): void => {
      socket.send(quicVersionProbe(), (error) => {
        if (error) finish('unreachable', describeError(error, 'udp'));
      });
    };
    socket.connect(port, address, () => {
      send();
      timers.push(setTimeout(send, timeoutMs / 2));
    });
    timers.push(
      setTimeout(() => {
        finish('unverified', `no reply within ${seconds(timeoutMs)}; silence on UDP does not prove the path is open`);
      }, timeoutMs),
    );
  });
}
