// The TLS handshake of an https or unix+tls probe, with cloudflared's originRequest semantics: originServerName
// is the SNI and the name verified, caPool adds to the system roots, noTLSVerify accepts any certificate.
// Verification is done by hand after the handshake so the certificate's expiry is known even when it fails.
import { readFile } from 'node:fs/promises';
import { isIP, type Socket } from 'node:net';
import { connect, createSecureContext, rootCertificates, type SecureContext, type TLSSocket } from 'node:tls';
import { describeTlsCode } from './errors.js';
import type { ProbeRun } from './run.js';

export interface TlsSettings {
  /** The name sent as SNI (unless it is an IP address) and checked against the certificate. */
  readonly serverName: string;
  /** System roots plus the caPool; undefined for Node's defaults. */
  readonly secureContext?: SecureContext;
  readonly noTLSVerify: boolean;
  readonly tlsTimeoutMs: number;
}

/** Reads a caPool file; injectable so tests and callers need not touch the disk. */
export type CaReader = (path: string) => Promise<string>;

const readText: CaReader = (path) => readFile(path, 'utf8');

/** Loads a caPool into a TLS context trusting it and the system roots. */
export type CaLoader = (path: string) => Promise<SecureContext>;

/**
 * Loads caPool files once and keeps the context built from them (cloudflared, too, reads caPool once at
 * start; building the context is costly). A failed read is not kept, so a file that appears later is
 * picked up by the next probe.
 */
export function createCaLoader(read: CaReader = readText): CaLoader {
  const loaded = new Map<string, SecureContext>();
  return async (path) => {
    const cached = loaded.get(path);
    if (cached) return cached;
    let pem: string;
    try {
      pem = await read(path);
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      throw new Error(`cannot read originRequest.caPool ${path}: ${why}`, { cause: error });
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`originRequest.caPool ${path} holds no PEM certificate`);
    let context: SecureContext;
    try {
      context = createSecureContext({ ca: [...rootCertificates, pem] });
    } catch (error) {
      throw new Error(`originRequest.caPool ${path} is not a valid PEM certificate`, { cause: error });
    }
    loaded.set(path, context);
    return context;
  };
}

/** Runs the handshake over `socket`; records the leaf's expiry in run.found.tlsNotAfter. */
export function startTls(run: ProbeRun, socket: Socket, settings: TlsSettings): Promise<TLSSocket> {
  run.enter('tls');
  run.limit(settings.tlsTimeoutMs);
  const { serverName } = settings;
  const tls = run.track(
    connect({
      socket,
      host: serverName,
      ...(isIP(serverName) === 0 ? { servername: serverName } : {}),
      ...(settings.secureContext ? { secureContext: settings.secureContext } : {}),
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    }),
  );
  return new Promise((resolve, reject) => {
    tls.once('secureConnect', () => {
      const notAfter = Date.parse(tls.getPeerCertificate().valid_to);
      if (Number.isFinite(notAfter)) run.found.tlsNotAfter = notAfter;
      const code = tls.authorizationError as unknown;
      if (settings.noTLSVerify || tls.authorized) resolve(tls);
      else reject(new Error(describeTlsCode(code instanceof Error ? (code as NodeJS.ErrnoException).code ?? code.message : String(code))));
    });
    tls.once('error', reject);
  });
}
