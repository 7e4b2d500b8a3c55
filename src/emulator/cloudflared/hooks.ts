import type { IngressRule } from '../../cloudflared/config/index.js';
import type { FieldValue } from '../../cloudflared/log/index.js';

/** Writes one cloudflared log event (console or JSON per --output, to stderr), like zerolog in cloudflared. */
export type EmulatorLog = (
  level: 'debug' | 'info' | 'warn' | 'error' | 'fatal',
  message: string,
  fields?: Readonly<Record<string, FieldValue>>,
  error?: string,
) => void;

/** What the edge proxy needs from the emulated connector; the process core implements it. */
export interface ProxyHooks {
  /** The ingress rules in force now (local file, remote config, or the default 503 rule). */
  readonly rules: () => readonly IngressRule[];
  /** A registered HA connection to carry the request, or undefined when none is up (the edge then answers 530). */
  readonly pickConnIndex: () => number | undefined;
  /** The edge IP of that connection, for `Request failed` lines. */
  readonly edgeIp: (connIndex: number) => string | undefined;
  readonly connectorId: string;
  readonly log: EmulatorLog;
  /** cloudflared_tunnel_total_requests and the concurrent-requests gauge. */
  readonly onRequestStart: () => void;
  readonly onRequestEnd: () => void;
  /** cloudflared_tunnel_response_by_code{status_code}: a response received from the origin (or an http_status rule). */
  readonly onResponse: (statusCode: number) => void;
  /** cloudflared_tunnel_request_errors: the origin could not be reached. */
  readonly onError: () => void;
}
