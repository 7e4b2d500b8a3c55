// The parts of Go's net/url and net.SplitHostPort that cloudflared's ingress code relies on, so service
// addresses are accepted or rejected, and errors worded, exactly as cloudflared does.
import { goQuote } from './quote.js';

/** A URL as Go's url.Parse splits it (only the fields cloudflared reads). */
export interface GoUrl {
  readonly scheme: string;
  readonly opaque: string;
  readonly host: string;
  /** Decoded path. */
  readonly path: string;
  readonly rawQuery: string;
  readonly fragment: string;
  readonly hasUser: boolean;
}

class UrlError extends Error {}

function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port);
}

// Characters Go's shouldEscape accepts unescaped in a host (encodeHost mode).
const HOST_OK = /[0-9A-Za-z\-_.~!$&'()*+,;=:[\]<>"]/;

/** Go's unescape; `host` applies the host-mode rules (only non-ASCII may be %-encoded, except %25). */
function unescape(s: string, host: boolean): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    const c = s[i] ?? '';
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new UrlError(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`);
      if (host && parseInt(hex.slice(0, 1), 16) < 8 && s.slice(i, i + 3) !== '%25') {
        throw new UrlError(`invalid URL escape ${goQuote(s.slice(i, i + 3))}`);
      }
      bytes.push(parseInt(hex, 16));
      i += 3;
      continue;
    }
    if (host && c.charCodeAt(0) < 0x80 && !HOST_OK.test(c)) {
      throw new UrlError(`invalid character ${goQuote(c)} in host name`);
    }
    const cp = s.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    bytes.push(...Buffer.from(ch, 'utf8'));
    i += ch.length;
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']');
    if (i < 0) throw new UrlError("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new UrlError(`invalid port ${goQuote(colonPort)} after host`);
  } else {
    // Go 1.26 (urlstrictcolons=1, cloudflared's go.mod says go 1.26): the port starts at the first colon.
    const i = host.indexOf(':');
    if (i >= 0 && !validOptionalPort(host.slice(i))) {
      throw new UrlError(`invalid port ${goQuote(host.slice(i))} after host`);
    }
  }
  return unescape(host, true);
}

function getScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] ?? '';
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (i === 0) throw new UrlError('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

function parseWithoutFragment(raw: string): Omit<GoUrl, 'fragment'> {
  // Go's stringContainsCTLByte: bytes below 0x20 and 0x7f.
  if (/[\p{Cc}]/u.test(raw.replace(/[\u0080-\u009f]/g, ''))) throw new UrlError('net/url: invalid control character in URL');
  if (raw === '*') return { scheme: '', opaque: '', host: '', path: '*', rawQuery: '', hasUser: false };
  const [schemeRaw, afterScheme] = getScheme(raw);
  const scheme = schemeRaw.toLowerCase();
  let rest = afterScheme;
  let rawQuery = '';
  if (rest.endsWith('?') && rest.split('?').length === 2) rest = rest.slice(0, -1);
  else {
    const q = rest.indexOf('?');
    if (q >= 0) [rest, rawQuery] = [rest.slice(0, q), rest.slice(q + 1)];
  }
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { scheme, opaque: rest, host: '', path: '', rawQuery, hasUser: false };
    if ((rest.split('/')[0] ?? '').includes(':')) throw new UrlError('first path segment in URL cannot contain colon');
  }
  let host = '';
  let hasUser = false;
  if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
    let authority = rest.slice(2);
    rest = '';
    const slash = authority.indexOf('/');
    if (slash >= 0) [authority, rest] = [authority.slice(0, slash), authority.slice(slash)];
    const at = authority.lastIndexOf('@');
    host = parseHost(authority.slice(at + 1));
    if (at >= 0) {
      hasUser = true;
      if (!/^[0-9A-Za-z\-._:~!$&'()*+,;=%@]*$/.test(authority.slice(0, at))) {
        throw new UrlError('net/url: invalid userinfo');
      }
    }
  }
  return { scheme, opaque: '', host, path: unescape(rest, false), rawQuery, hasUser };
}

/** Go's url.Parse; throws nothing: returns the URL or Go's error text (`parse "…": …`). */
export function parseGoUrl(raw: string): { url: GoUrl } | { error: string } {
  const hash = raw.indexOf('#');
  const [body, frag] = hash >= 0 ? [raw.slice(0, hash), raw.slice(hash + 1)] : [raw, ''];
  let parsed: Omit<GoUrl, 'fragment'>;
  try {
    parsed = parseWithoutFragment(body);
  } catch (err) {
    if (err instanceof UrlError) return { error: `parse ${goQuote(body)}: ${err.message}` };
    throw err;
  }
  try {
    return { url: { ...parsed, fragment: unescape(frag, false) } };
  } catch (err) {
    if (err instanceof UrlError) return { error: `parse ${goQuote(raw)}: ${err.message}` };
    throw err;
  }
}

function splitUrlHost(host: string): [string, string] {
  let name = host;
  let port = '';
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && validOptionalPort(host.slice(colon))) [name, port] = [host.slice(0, colon), host.slice(colon + 1)];
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  return [name, port];
}

/** Go's URL.Hostname(): the host without port or IPv6 brackets. */
export function goUrlHostname(url: GoUrl): string {
  return splitUrlHost(url.host)[0];
}

/** Go's URL.Port(): the port digits, or ''. */
export function goUrlPort(url: GoUrl): string {
  return splitUrlHost(url.host)[1];
}

/** Go's net.SplitHostPort; undefined where Go returns an error (e.g. no port). */
export function goSplitHostPort(hostport: string): { host: string; port: string } | undefined {
  const i = hostport.lastIndexOf(':');
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 !== i) return undefined;
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(':')) return undefined;
  }
  if (hostport.slice(j).includes('[') || hostport.slice(k).includes(']')) return undefined;
  return { host, port: hostport.slice(i + 1) };
}
