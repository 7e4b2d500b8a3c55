// Requests through the tunnel (settings.endToEnd) read as a visitor would get them, told apart by who answered:
// Cloudflare's own error pages (530 with error 1033: no connector; 502: no answer from the origin through a
// connector; 524: the connector never answered), no answer at all after the request went out, the entrance itself
// unreachable, or the origin. A visitor's 502 looks the same whether the connector could not reach the origin or
// Cloudflare could not get through to the connector: this replica's origin probe of the same hostname tells them
// apart (down: the origin; up: the way through the connector). Over HTTP/2 cloudflared never notices an edge that
// stopped answering, so "connected but not serving" is found here or nowhere. Pure.
import { matchHost } from '../cloudflared/config/index.js';
import type { HealthSnapshot } from '../state/index.js';
import type { CauseId } from './causes.js';
import type { Confidence, Evidence } from './evidence.js';

/** One check through the tunnel, as the diagnosis reads it. */
export interface TunnelCheckView {
  readonly url: string;
  /** Unix ms of the check. */
  readonly at: number;
  readonly durationMs: number;
  readonly status?: number;
  /** The probe's error when nothing answered (`timeout after 10s in first_byte`, `connect ECONNREFUSED ...`). */
  readonly error?: string;
  /** The `server` header: `cloudflare` on Cloudflare's own pages. */
  readonly server?: string;
  readonly ray?: string;
  /** The first bytes of the body (`error code: 1033`). */
  readonly head?: string;
}

export type TunnelVerdict = 'served' | 'no_connector' | 'origin_error' | 'not_serving' | 'edge_error';

/** Who answered the request, and so where it stopped. */
export function tunnelVerdict(c: TunnelCheckView): TunnelVerdict {
  if (c.status === undefined) return /timeout .* in (first_byte|body)$/.test(c.error ?? '') ? 'not_serving' : 'edge_error';
  // Cloudflare names itself on every proxied answer, the origin's too: only its error pages carry `error code: N`.
  const code = c.server?.toLowerCase() === 'cloudflare' ? /^error code: (\d+)/.exec(c.head ?? '')?.[1] : undefined;
  if (code === '1033') return 'no_connector';
  if (code === '524' || (code === undefined && c.status === 524)) return 'not_serving';
  if (code === undefined) return 'served';
  return code === '502' || code === '504' ? 'origin_error' : 'edge_error';
}

/** A check in one line for evidence: `GET http://app.example.com/ through the tunnel: 524 (error code: 524) after 10.0 s, ray 8f1e...-LAX`. */
export function describeCheck(c: TunnelCheckView): string {
  const answer = c.status === undefined ? (c.error ?? 'no answer') : `${String(c.status)}${c.head?.startsWith('error code') === true ? ` (${c.head.split('\n')[0] ?? ''})` : ''}`;
  return `GET ${c.url} through the tunnel: ${answer} after ${(c.durationMs / 1000).toFixed(1)} s${c.ray === undefined ? '' : `, ray ${c.ray}`}`;
}

export interface TunnelFinding {
  readonly cause: CauseId;
  readonly confidence: Confidence;
  readonly evidence: readonly Evidence[];
  readonly since: number;
}

/** The causes the latest checks prove, compared with the connector's state and the origin probes. */
export function tunnelCheckFindings(checks: readonly TunnelCheckView[], s: HealthSnapshot | undefined): TunnelFinding[] {
  const out: TunnelFinding[] = [];
  const registered = s?.registeredConnections ?? 0;
  for (const c of checks) {
    const verdict = tunnelVerdict(c);
    const seen: Evidence = { source: 'probe', at: c.at, text: describeCheck(c) };
    switch (verdict) {
      case 'served':
        break;
      case 'not_serving':
        // With no registered connection the connector causes say why; this cause is the silent case.
        if (registered > 0) {
          out.push({ cause: 'tunnel_not_serving', confidence: 'high', since: c.at, evidence: [seen, { source: 'reason', at: c.at, text: `cloudflared reports ${String(registered)} registered connection(s): it holds its connections but serves nothing through them` }] });
        }
        break;
      case 'no_connector':
        out.push({ cause: 'tunnel_no_connector', confidence: registered > 0 ? 'medium' : 'high', since: c.at, evidence: [seen, { source: 'reason', at: c.at, text: `this replica holds ${String(registered)} registered connection(s) to tunnel ${s?.tunnelId ?? '(unknown)'}` }] });
        break;
      case 'origin_error': {
        const host = new URL(c.url).hostname.toLowerCase();
        // The probe of the ingress rule that serves the hostname, wildcards included, as cloudflared matches it.
        const probe = s?.origins.find((o) => o.hostname !== undefined && matchHost(o.hostname.toLowerCase(), host));
        if (probe?.state === 'up' && registered > 0) {
          const why = `this replica's probe of ${host} (${probe.service}) answers: the request did not get through a connector (this replica's, when it is the only one, or another's)`;
          out.push({ cause: 'tunnel_not_serving', confidence: 'medium', since: c.at, evidence: [seen, { source: 'probe', at: c.at, text: why }] });
          break;
        }
        const probes =
          probe?.state === 'down' ? `this replica's probe finds ${host} down: ${probe.reason ?? 'no answer'}`
          : probe?.state === 'up' ? `this replica's probe of ${host} answers, but this replica holds no registered connection: another replica's connector took the request`
          : `this replica has no probe of ${host} that tells: see the origin causes listed`;
        out.push({ cause: 'tunnel_origin_error', confidence: 'high', since: c.at, evidence: [seen, { source: 'probe', at: c.at, text: probes }] });
        break;
      }
      case 'edge_error':
        out.push({ cause: 'tunnel_edge_error', confidence: 'high', since: c.at, evidence: [seen] });
        break;
    }
  }
  return out;
}
