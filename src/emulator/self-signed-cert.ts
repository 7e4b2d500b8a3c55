// A self-signed X.509 certificate built with node:crypto alone, for the emulator's TLS origins: node:crypto
// makes keys and signatures but has no certificate builder, and the emulator may use neither the openssl CLI
// nor extra packages. The DER below is the minimum RFC 5280 asks for: an ECDSA P-256 key, a CN, and a
// subjectAltName (names are only ever checked against SANs, by Go and by Node alike).
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

export interface SelfSignedOptions {
  readonly commonName: string;
  /** DNS names and IP addresses the certificate is valid for. */
  readonly altNames: readonly string[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** PEM certificate and PKCS#8 key. */
export interface SelfSigned {
  readonly cert: string;
  readonly key: string;
}

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const hex = n.toString(16);
  const long = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
  const length = n < 0x80 ? Buffer.from([n]) : Buffer.concat([Buffer.from([0x80 | long.length]), long]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const seq = (...items: Buffer[]): Buffer => der(0x30, Buffer.concat(items));

function oid(text: string): Buffer {
  const [a = 0, b = 0, ...rest] = text.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const group = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) group.unshift(0x80 | (v & 0x7f));
    bytes.push(...group);
  }
  return der(0x06, Buffer.from(bytes));
}

/** UTCTime through 2049, GeneralizedTime after, as RFC 5280 §4.1.2.5 requires. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(`${iso.slice(2)}Z`)) : der(0x18, Buffer.from(`${iso}Z`));
}

function altName(name: string): Buffer {
  if (isIPv4(name)) return der(0x87, Buffer.from(name.split('.').map(Number)));
  if (isIPv6(name)) {
    const [head = '', tail = ''] = name.split('::');
    const words = (s: string): string[] => (s === '' ? [] : s.split(':'));
    const groups = name.includes('::')
      ? [...words(head), ...Array<string>(8 - words(head).length - words(tail).length).fill('0'), ...words(tail)]
      : words(name);
    return der(0x87, Buffer.from(groups.map((g) => g.padStart(4, '0')).join(''), 'hex'));
  }
  return der(0x82, Buffer.from(name, 'ascii'));
}

function pem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Generates a fresh key and a certificate signed by it (valid from an hour ago for a year by default). */
export function createSelfSigned(options: SelfSignedOptions): SelfSigned {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(der(0x31, seq(oid('2.5.4.3'), der(0x0c, Buffer.from(options.commonName, 'utf8')))));
  const serial = randomBytes(16);
  // A positive INTEGER whose first byte is not 0: DER forbids a leading zero byte, which OpenSSL rejects.
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  const now = Date.now();
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, serial),
    ecdsaWithSha256,
    name,
    seq(time(options.notBefore ?? new Date(now - 3_600_000)), time(options.notAfter ?? new Date(now + 365 * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, seq(seq(oid('2.5.29.17'), der(0x04, seq(...options.altNames.map(altName)))))),
  );
  const signature = sign('sha256', tbs, privateKey);
  const cert = seq(tbs, ecdsaWithSha256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return { cert: pem('CERTIFICATE', cert), key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
