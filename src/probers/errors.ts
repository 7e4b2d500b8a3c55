// Turns the errors node:net, node:tls and node:http raise into the short, human error of a ProbeResult.
// Messages carry the origin's address at most, never request data.

/** `5000` → `5s`, `200` → `0.2s`: the N in `timeout after Ns in <phase>`. */
export function seconds(ms: number): string {
  return `${String(Math.round(ms) / 1000)}s`;
}

/** OpenSSL verification codes (tls `authorizationError`, error `code`) in plain words. */
const TLS_CODES: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate not trusted (set originRequest.caPool)',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in chain not trusted (set originRequest.caPool)',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate issuer unknown (set originRequest.caPool)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer unknown (set originRequest.caPool)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate chain incomplete or issuer unknown (set originRequest.caPool)',
  CERT_REVOKED: 'certificate revoked',
  CERT_SIGNATURE_FAILURE: 'certificate signature invalid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate not valid for the server name (set originRequest.originServerName)',
};

/** The plain-words form of a TLS verification code, or the code itself. */
export function describeTlsCode(code: string): string {
  return TLS_CODES[code] ?? `certificate rejected: ${code}`;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** A thrown value as a ProbeResult error; `phase` says where the probe was when it failed. */
export function describeError(error: unknown, phase: string): string {
  if (!(error instanceof Error)) return oneLine(`${String(error)} in ${phase}`);
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code in TLS_CODES) return describeTlsCode(code);
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') return 'tls: the origin does not speak TLS (use http:// or check the port)';
  // OpenSSL errors carry a file path and hex codes in their message; their reason alone reads well.
  const reason = (error as { reason?: unknown }).reason;
  if (code.startsWith('ERR_SSL_') && typeof reason === 'string') return `tls: ${reason}`;
  if (error.message === 'socket hang up' || code === 'ERR_STREAM_PREMATURE_CLOSE') return `connection closed in ${phase}`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `connection reset in ${phase}`;
  return oneLine(error.message === '' ? `${code || error.name} in ${phase}` : error.message);
}
