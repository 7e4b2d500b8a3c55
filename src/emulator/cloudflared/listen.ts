// Binding the metrics listener like metrics.CreateMetricsListener with Go's net.Listen: the default
// `localhost:0` tries localhost:20241..20245 then a random port; any other value is bound as given, and a
// failure carries Go's error text (`listen tcp 127.0.0.1:9300: bind: address already in use`).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The metrics flag's default for a host (non-container) build. */
export const DEFAULT_METRICS_ADDRESS = 'localhost:0';
export const KNOWN_METRICS_PORTS = [20241, 20242, 20243, 20244, 20245];

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EACCES: 'permission denied',
  EAFNOSUPPORT: 'address family not supported by protocol',
};

/** net.SplitHostPort for a listen address; undefined with Go's error when it is not host:port. */
function splitHostPort(addr: string): { host: string; port: number } | { error: string } {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(addr);
  if (!m) return { error: `listen tcp: address ${addr}: ${addr.includes(':') ? 'too many colons in address' : 'missing port in address'}` };
  const host = m[1] ?? m[2] ?? '';
  const portText = m[3] ?? '';
  const port = portText === '' ? 0 : /^[0-9]+$/.test(portText) ? Number(portText) : NaN;
  if (!Number.isInteger(port) || port > 65535) return { error: `listen tcp: address ${portText}: invalid port` };
  return { host, port };
}

/** How Go prints a listener address: `127.0.0.1:20241`, `[::]:9300`. */
export function goAddress(info: AddressInfo): string {
  return info.family === 'IPv6' ? `[${info.address}]:${String(info.port)}` : `${info.address}:${String(info.port)}`;
}

function tryListen(server: Server, host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      resolve(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(undefined);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port, exclusive: true });
  });
}

/** Listens on a Go-style address; a wildcard host listens dual-stack like Go does. */
async function listenGo(server: Server, addr: string): Promise<string | undefined> {
  const split = splitHostPort(addr);
  if ('error' in split) return split.error;
  const { host, port } = split;
  const hosts = host === '' || host === '0.0.0.0' ? ['::', '0.0.0.0'] : host === 'localhost' ? ['127.0.0.1'] : [host];
  let last: NodeJS.ErrnoException | undefined;
  for (const h of hosts) {
    last = await tryListen(server, h, port);
    if (last === undefined) return undefined;
    if (last.code !== 'EAFNOSUPPORT' && last.code !== 'EADDRNOTAVAIL') break;
  }
  if (last?.code === 'ENOTFOUND' || last?.code === 'EAI_AGAIN') return `listen tcp: lookup ${host}: no such host`;
  const shown = host === 'localhost' ? `127.0.0.1:${String(port)}` : addr;
  return `listen tcp ${shown}: bind: ${ERRNO_TEXT[last?.code ?? ''] ?? last?.message ?? 'unknown error'}`;
}

/** CreateMetricsListener: the bound server and its address, or cloudflared's error text. */
export async function createMetricsListener(flagValue: string): Promise<{ server: Server; address: string } | { error: string }> {
  const server = createServer();
  const bound = (): { server: Server; address: string } => ({ server, address: goAddress(server.address() as AddressInfo) });
  if (flagValue === DEFAULT_METRICS_ADDRESS) {
    for (const port of KNOWN_METRICS_PORTS) {
      if ((await listenGo(server, `localhost:${String(port)}`)) === undefined) return bound();
    }
    const error = await listenGo(server, flagValue);
    return error === undefined ? bound() : { error: `failed to listen to default metrics address: ${error}` };
  }
  const error = await listenGo(server, flagValue);
  return error === undefined ? bound() : { error: `failed to bind to address (${flagValue}): ${error}` };
}
