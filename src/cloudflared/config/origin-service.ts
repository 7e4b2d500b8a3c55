// An ingress rule's `service` string turned into a typed origin, in the order and with the errors of
// cloudflared's validateIngress (ingress/ingress.go) and newTCPOverWSService (ingress/origin_service.go).
import { goQuote, goUrlHostname, goUrlPort, parseGoUrl } from '../../go/index.js';

/** Where cloudflared sends a rule's traffic. */
export type OriginService =
  | {
      readonly kind: 'http';
      /** The URL as cloudflared prints it (scheme lower-cased). */
      readonly url: string;
      readonly scheme: 'http' | 'https' | 'ws' | 'wss';
      readonly host: string;
      readonly port?: number;
    }
  | {
      readonly kind: 'stream';
      /** `tcp`, `ssh`, `rdp`, `smb`, or any other scheme cloudflared treats as raw TCP over WebSocket. */
      readonly scheme: string;
      readonly host: string;
      readonly port?: number;
    }
  | { readonly kind: 'unix'; readonly path: string; readonly tls: boolean }
  | { readonly kind: 'http_status'; readonly status: number }
  | { readonly kind: 'hello_world' }
  | { readonly kind: 'bastion' }
  | { readonly kind: 'socks_proxy' }
  | {
      readonly kind: 'invalid';
      /** Which of cloudflared's checks failed. */
      readonly reason: 'url' | 'scheme-host' | 'path' | 'status';
      /** cloudflared's error text. */
      readonly message: string;
    };

/** Schemes newTCPOverWSService knows, with the port it adds when none is given. */
export const STREAM_DEFAULT_PORTS: Readonly<Record<string, number>> = { ssh: 22, rdp: 3389, smb: 445, tcp: 7864 };

const HTTP_SCHEMES = new Set(['http', 'https', 'ws', 'wss']);

/** Go's strconv.Atoi (base 10, optional sign); the error text is Go's. */
function goAtoi(text: string): { value: number } | { error: string } {
  if (!/^[+-]?[0-9]+$/.test(text)) return { error: `strconv.Atoi: parsing ${goQuote(text)}: invalid syntax` };
  const big = BigInt(text);
  if (big > 9223372036854775807n || big < -9223372036854775808n) {
    return { error: `strconv.Atoi: parsing ${goQuote(text)}: value out of range` };
  }
  return { value: Number(big) };
}

function parseStatus(text: string): OriginService {
  const parsed = goAtoi(text);
  if ('error' in parsed) {
    return { kind: 'invalid', reason: 'status', message: `invalid HTTP status code: ${parsed.error}` };
  }
  if (parsed.value < 100 || parsed.value > 999) {
    return { kind: 'invalid', reason: 'status', message: `invalid HTTP status code: ${String(parsed.value)}` };
  }
  return { kind: 'http_status', status: parsed.value };
}

function parseUrlService(service: string): OriginService {
  const parsed = parseGoUrl(service);
  if ('error' in parsed) return { kind: 'invalid', reason: 'url', message: parsed.error };
  const { url } = parsed;
  const host = goUrlHostname(url);
  if (url.scheme === '' || host === '') {
    return {
      kind: 'invalid',
      reason: 'scheme-host',
      message: `${service} is an invalid address, please make sure it has a scheme and a hostname`,
    };
  }
  if (url.path !== '') {
    return {
      kind: 'invalid',
      reason: 'path',
      message:
        `${service} is an invalid address, ingress rules don't support proxying to a different path on the ` +
        "origin service. The path will be the same as the eyeball request's path",
    };
  }
  const portText = goUrlPort(url);
  const port = portText === '' ? undefined : Number(portText);
  if (HTTP_SCHEMES.has(url.scheme)) {
    const scheme = url.scheme as 'http' | 'https' | 'ws' | 'wss';
    const url_ = `${url.scheme}${service.slice(service.indexOf(':'))}`;
    return port === undefined ? { kind: 'http', url: url_, scheme, host } : { kind: 'http', url: url_, scheme, host, port };
  }
  const streamPort = port ?? STREAM_DEFAULT_PORTS[url.scheme];
  return streamPort === undefined
    ? { kind: 'stream', scheme: url.scheme, host }
    : { kind: 'stream', scheme: url.scheme, host, port: streamPort };
}

/**
 * Parses a rule's service the way cloudflared does; `bastionMode` is the rule's effective
 * originRequest.bastionMode, which turns any service not recognised earlier into a bastion.
 */
export function parseOriginService(service: string, bastionMode: boolean): OriginService {
  if (service.startsWith('unix:')) return { kind: 'unix', path: service.slice('unix:'.length), tls: false };
  if (service.startsWith('unix+tls:')) return { kind: 'unix', path: service.slice('unix+tls:'.length), tls: true };
  if (service.startsWith('http_status:')) return parseStatus(service.slice('http_status:'.length));
  if (service === 'hello_world' || service === 'hello-world') return { kind: 'hello_world' };
  if (service === 'socks-proxy') return { kind: 'socks_proxy' };
  if (service === 'bastion' || bastionMode) return { kind: 'bastion' };
  return parseUrlService(service);
}

/** The service the way cloudflared prints it (`/config`, `ingress rule`). */
export function formatOriginService(service: OriginService, text: string): string {
  switch (service.kind) {
    case 'http':
      return service.url;
    case 'stream': {
      const host = service.host.includes(':') ? `[${service.host}]` : service.host;
      return `${service.scheme}://${host}${service.port === undefined ? '' : `:${String(service.port)}`}`;
    }
    case 'unix':
      return `unix${service.tls ? '+tls' : ''}:${service.path}`;
    case 'http_status':
      return `http_status:${String(service.status)}`;
    case 'hello_world':
      return 'hello_world';
    case 'bastion':
      return 'bastion';
    case 'socks_proxy':
      return 'socks-proxy';
    case 'invalid':
      return text;
  }
}
