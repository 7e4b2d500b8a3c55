// Which cause a cloudflared line is evidence of, by the words cloudflared itself writes (see
// ../shared/reference/cloudflared.md and the wild log corpus). Pure: one event in, a cause or nothing out.
import type { LogEvent } from '../cloudflared/log/index.js';
import type { CauseId } from './causes.js';

interface LineRule {
  readonly cause: CauseId;
  readonly matches: (event: LogEvent, text: string) => boolean;
}

const has = (pattern: RegExp) => (_event: LogEvent, text: string): boolean => pattern.test(text);

/** The precheck line for `component` reported FAIL (cloudflared 2026.5+). */
const precheckFailed = (component: string) => (event: LogEvent): boolean =>
  event.message === 'precheck' && event.fields.component === component && event.fields.status === 'FAIL';

/** First match wins: specific words before general ones. */
const RULES: readonly LineRule[] = [
  { cause: 'tunnel_not_found', matches: has(/Unauthorized: Failed to get tunnel|tunnel not found/i) },
  { cause: 'credentials_rejected', matches: has(/Unauthorized|Invalid tunnel secret/i) },
  { cause: 'token_malformed', matches: has(/Provided Tunnel token is not valid|credentials file at .* contained invalid JSON|Invalid JSON when parsing credentials file/) },
  { cause: 'metrics_port_in_use', matches: has(/Error opening metrics server listener.*address already in use/) },
  {
    cause: 'edge_dns_failed',
    matches: (event, text) => /Could not lookup srv records|error looking up Cloudflare edge IPs|edge discovery:/.test(text) || precheckFailed('DNS Resolution')(event),
  },
  // HTTP/2 says so; QUIC reports the handshake's verification failure inside its dial error.
  { cause: 'edge_tls_failed', matches: has(/TLS handshake with edge error|failed to dial to edge with quic: .*(x509:|tls: failed to verify)/) },
  {
    cause: 'tcp_7844_blocked',
    matches: (event, text) => /DialContext error/.test(text) || precheckFailed('TCP Connectivity')(event),
  },
  {
    cause: 'udp_7844_blocked',
    matches: (event, text) =>
      event.type === 'fallback' ||
      /egress UDP to port 7844 \(or others\) blocked/.test(text) ||
      (/failed to dial to edge with quic/.test(text) && /timeout/.test(text)) ||
      precheckFailed('UDP Connectivity')(event),
  },
  {
    cause: 'config_invalid',
    matches: (event, text) =>
      event.type === 'config_error' ||
      /Validation failed|The last ingress rule must match all URLs|doesn't contain any ingress rules|is an invalid address|error parsing YAML|cannot unmarshal/.test(text),
  },
];

/** Origin failures, read from cloudflared's message-less origin error lines. */
const ORIGIN_RULES: readonly LineRule[] = [
  { cause: 'origin_tls_untrusted', matches: has(/x509:|tls: failed to verify|certificate/) },
  { cause: 'origin_refused', matches: has(/connection refused/) },
  { cause: 'origin_unknown_host', matches: has(/no such host|server misbehaving/) },
  { cause: 'origin_timeout', matches: has(/i\/o timeout|deadline exceeded|timeout awaiting/) },
];

/** The text a line is judged by and shown as: `message: error` as tunnelwatch shows last errors; for a pre-check, its row. */
export function lineText(event: LogEvent): string {
  if (event.message === 'precheck') {
    const f = event.fields;
    return `precheck ${String(f.component)} ${String(f.target)}: ${String(f.status)}${f.details === undefined ? '' : ` (${String(f.details)})`}`;
  }
  return event.error === undefined ? event.message : `${event.message}: ${event.error}`;
}

/** The cause `event` is evidence of, if any. */
export function causeOfLine(event: LogEvent): CauseId | undefined {
  const text = lineText(event);
  const rules = event.type === 'origin_error' ? ORIGIN_RULES : RULES;
  return rules.find((rule) => rule.matches(event, text))?.cause;
}
