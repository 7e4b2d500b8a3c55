// Opening the connection a probe talks over: TCP (DNS and connect timed apart) or a Unix socket, each bounded
// by the target's connectTimeout as cloudflared's dialer is.
import { connect, isIP, type Socket } from 'node:net';
import type { ProbeRun } from './run.js';

function connected(socket: Socket): Promise<Socket> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => { resolve(socket); });
    socket.once('error', reject);
  });
}

/**
 * Connects to host:port. Names go through DNS first (phase `dns`, ended by the socket's `lookup` event); the
 * connect timeout covers both, as Go's Dialer.Timeout does. `happyEyeballs` races IPv4 and IPv6 addresses.
 */
export function dialTcp(run: ProbeRun, host: string, port: number, connectTimeoutMs: number, happyEyeballs: boolean): Promise<Socket> {
  run.enter(isIP(host) === 0 ? 'dns' : 'connect');
  run.limit(connectTimeoutMs);
  const socket = run.track(connect({ host, port, autoSelectFamily: happyEyeballs }));
  socket.once('lookup', (error: Error | null) => {
    if (error === null) run.enter('connect');
  });
  return connected(socket);
}

/** Connects to the Unix socket at `path`. */
export function dialUnix(run: ProbeRun, path: string, connectTimeoutMs: number): Promise<Socket> {
  run.enter('connect');
  run.limit(connectTimeoutMs);
  return connected(run.track(connect({ path })));
}
