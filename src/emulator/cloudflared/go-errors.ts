// Node's socket, DNS, TLS and HTTP-parser errors reworded as Go's net, crypto/tls, crypto/x509 and net/http
// word them, since cloudflared logs Go's error text verbatim and tunnelwatch classifies those lines.
import type { X509Certificate } from 'node:crypto';
import { getServers } from 'node:dns';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { getSystemErrorMap } from 'node:util';
import { goQuote } from '../../go/index.js';

/** An origin failure, its message already in Go's words. */
export class OriginError extends Error {}

/** Go's syscall.Errno texts (zerrors_linux.go) where libuv words them differently. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
  EACCES: 'permission denied',
  ENOENT: 'no such file or directory',
  EADDRNOTAVAIL: 'cannot assign requested address',
};

function errnoText(err: NodeJS.ErrnoException): string {
  const known = err.code === undefined ? undefined : ERRNO_TEXT[err.code];
  return known ?? (err.errno === undefined ? undefined : getSystemErrorMap().get(err.errno)?.[1]) ?? err.message;
}

/** An os.PathError: `open /etc/ssl/origin.pem: no such file or directory`. */
export function goPathError(op: string, path: string, err: NodeJS.ErrnoException): string {
  return `${op} ${path}: ${errnoText(err)}`;
}

/** Go's net.JoinHostPort. */
export function goJoinHostPort(host: string, port: number | string): string {
  return `${host.includes(':') ? `[${host}]` : host}:${String(port)}`;
}

/** `dial tcp 127.0.0.1:8080: connect: connection refused` (a net.OpError around the connect syscall). */
export function goDialError(network: 'tcp' | 'unix', address: string, err: NodeJS.ErrnoException): string {
  return `dial ${network} ${address}: connect: ${errnoText(err)}`;
}

/** The dialer's deadline passed: `dial tcp 10.0.0.7:9000: i/o timeout`. */
export function goDialTimeout(network: 'tcp' | 'unix', address: string): string {
  return `dial ${network} ${address}: i/o timeout`;
}

/**
 * A failed name lookup as cloudflared's pure-Go resolver words it (`dial tcp: lookup db.internal on
 * 10.0.0.53:53: no such host`); Go says `server misbehaving` for answers other than NXDOMAIN.
 */
export function goLookupError(host: string, err: NodeJS.ErrnoException): string {
  const server = getServers()[0] ?? '127.0.0.1';
  const withPort = isIP(server) === 0 ? server : goJoinHostPort(server, 53);
  const why = err.code === 'ENOTFOUND' || err.code === 'ENODATA' ? 'no such host' : 'server misbehaving';
  return `dial tcp: lookup ${host} on ${withPort}: ${why}`;
}

/** The dialer's deadline passed while resolving the name. */
export function goLookupTimeout(host: string): string {
  return `dial tcp: lookup ${host}: i/o timeout`;
}

export const GO_TLS_HANDSHAKE_TIMEOUT = 'net/http: TLS handshake timeout';

/** crypto/tls alertText for the alerts an origin plausibly sends. */
const TLS_ALERTS: Readonly<Record<string, string>> = {
  '40': 'handshake failure',
  '42': 'bad certificate',
  '46': 'unknown certificate',
  '48': 'unknown certificate authority',
  '70': 'protocol version not supported',
  '80': 'internal error',
  '112': 'unrecognized name',
  '116': 'certificate required',
  '120': 'no application protocol',
};

/** A socket-level read failure: `read tcp 127.0.0.1:50312->127.0.0.1:8443: read: connection reset by peer`. */
export function goReadError(network: 'tcp' | 'unix', local: string, remote: string, err: NodeJS.ErrnoException): string {
  return `read ${network} ${local}->${remote}: read: ${errnoText(err)}`;
}

/** A TLS handshake failure other than certificate verification (done separately, in Go's order). */
export function goTlsHandshakeError(err: NodeJS.ErrnoException, readError: () => string): string {
  if (err.code === 'ERR_SSL_WRONG_VERSION_NUMBER') return 'tls: first record does not look like a TLS handshake';
  const alert = /alert number (\d+)/.exec(err.message)?.[1];
  if (alert !== undefined) return `remote error: tls: ${TLS_ALERTS[alert] ?? `alert(${alert})`}`;
  // Node's wording for a peer that closed mid-handshake; Go's handshake reads io.EOF.
  if (err.message.includes('disconnected before secure TLS connection')) return 'EOF';
  return err.code === 'ECONNRESET' ? readError() : err.message;
}

/** Go's RFC 5952 text for an IP address (Node prints IPv6 SANs uncompressed). */
function goIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/**
 * Verifies the origin's leaf certificate the way crypto/x509 Certificate.Verify orders its checks (validity
 * period, then name, then chain), so the error is the one cloudflared would log; undefined when it passes.
 */
export function goVerifyError(cert: X509Certificate, chainTrusted: boolean, name: string, now: Date): string | undefined {
  const fail = (why: string): string => `tls: failed to verify certificate: x509: ${why}`;
  const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  if (now < notBefore || now > notAfter) {
    const [rel, bound] = now < notBefore ? ['before', notBefore] : ['after', notAfter];
    return fail(`certificate has expired or is not yet valid: current time ${rfc3339(now)} is ${rel} ${rfc3339(bound)}`);
  }
  const sans = (cert.subjectAltName ?? '').split(', ').filter((s) => s !== '');
  const dns = sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  const ips = sans.filter((s) => s.startsWith('IP Address:')).map((s) => goIp(s.slice(11)));
  const asIp = isIP(name) !== 0;
  // Node falls back to the CN when there are no SANs; Go (since 1.15) never does.
  const peer = { subject: {}, subjectaltname: cert.subjectAltName ?? '' } as PeerCertificate;
  if (sans.length === 0 || checkServerIdentity(name, peer) !== undefined) {
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
    if (sans.length === 0 && cn === name) return fail('certificate relies on legacy Common Name field, use SANs instead');
    if (asIp && ips.length === 0) return fail(`cannot validate certificate for ${name} because it doesn't contain any IP SANs`);
    const valid = (asIp ? ips : dns).join(', ');
    return fail(valid === '' ? `certificate is not valid for any names, but wanted to match ${name}` : `certificate is valid for ${valid}, not ${name}`);
  }
  // Every chain failure OpenSSL reports here (self-signed, missing issuer, bad signature) is Go's UnknownAuthorityError.
  return chainTrusted ? undefined : fail('certificate signed by unknown authority');
}

/** Node's HTTP-parser codes for a status line it cannot read. */
const MALFORMED_STATUS = new Set(['HPE_INVALID_CONSTANT', 'HPE_INVALID_VERSION', 'HPE_INVALID_STATUS']);

/** Which part of the status line net/http's readResponse rejects, checked in its order; undefined if it would not. */
function goStatusLineError(line: string): string | undefined {
  const space = line.indexOf(' ');
  if (space < 0) return `malformed HTTP response ${goQuote(line)}`;
  const proto = line.slice(0, space);
  const code = line.slice(space + 1).replace(/^ +/, '').split(' ')[0] ?? '';
  if (!/^[+-]?[0-9]{1,3}$/.test(code) || code.length !== 3 || code.startsWith('-')) {
    return `malformed HTTP status code ${goQuote(code)}`;
  }
  return /^HTTP\/[0-9]\.[0-9]$/.test(proto) ? undefined : `malformed HTTP version ${goQuote(proto)}`;
}

/**
 * A round-trip failure after the connection was up, as net/http's Transport reports it: a peer that closed
 * without answering reads io.EOF, which the Transport returns undecorated for a fresh connection; a bad
 * status line comes back wrapped as a broken connection.
 */
export function goTransportError(err: NodeJS.ErrnoException & { rawPacket?: unknown }, readError: () => string): string {
  if (err.message === 'socket hang up') return 'EOF';
  if (err.code === 'ECONNRESET') return readError();
  if (err.code !== undefined && MALFORMED_STATUS.has(err.code) && Buffer.isBuffer(err.rawPacket)) {
    const why = goStatusLineError(err.rawPacket.toString('utf8').split(/\r?\n/)[0] ?? '');
    if (why !== undefined) return `net/http: HTTP/1.x transport connection broken: ${why}`;
  }
  return err.message;
}
