// The `server.listen` setting ("host:port") and whether it keeps the server on loopback.
import { isIP } from 'node:net';

export interface ListenAddress {
  /** Host to bind; an empty host in the setting means every interface. */
  readonly host: string;
  readonly port: number;
}

/** Splits a validated "host:port" (IPv6 in brackets); an empty host binds every interface. */
export function parseListen(listen: string): ListenAddress {
  const colon = listen.lastIndexOf(':');
  const rawHost = listen.slice(0, colon);
  const host = rawHost.startsWith('[') && rawHost.endsWith(']') ? rawHost.slice(1, -1) : rawHost;
  return { host: host === '' ? '::' : host, port: Number(listen.slice(colon + 1)) };
}

/** True for 127.0.0.0/8, ::1 (also IPv4-mapped loopback) and `localhost`; anything else may be reached from outside. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  const v4 = mapped?.[1] ?? h;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  if (isIP(h) === 6) return /^(0{0,4}:){1,7}0{0,3}1$/.test(h);
  return false;
}
