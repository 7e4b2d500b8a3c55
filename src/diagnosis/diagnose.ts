// From what tunnelwatch sees to why: cloudflared's own lines, the health model's reasons, the origin probes,
// the edge view and the live reachability checks, each turned into named causes with their evidence and fix.
// Pure: the same inputs give the same diagnosis.
import type { HealthSnapshot } from '../state/index.js';
import { CAUSE_IDS, CAUSES, type CauseId, type Domain } from './causes.js';
import type { LineProof } from './line-evidence.js';

import type { Confidence, Evidence } from './evidence.js';
import { tunnelCheckFindings, type TunnelCheckView } from './tunnel-checks.js';

export type { Confidence, Evidence, EvidenceSource } from './evidence.js';

export interface Diagnosis {
  readonly cause: CauseId;
  readonly domain: Domain;
  readonly title: string;
  readonly confidence: Confidence;
  /** Unix ms of the first evidence; absent when its lines carry no readable time. */
  readonly since?: number;
  readonly evidence: readonly Evidence[];
  readonly remediation: string;
  readonly runbook: string;
}

/** The live edge checks (probers/edge-reach.ts), as far as the diagnosis reads them. */
export interface ReachView {
  readonly checks: readonly { readonly check: string; readonly target: string; readonly status: string; readonly address?: string; readonly port?: number }[];
}

/** cloudflared's per-connection QUIC round-trip time, from its /metrics. */
export interface EdgeRtt {
  readonly connIndex: number;
  readonly smoothedRttMs?: number;
}

/** Where latency becomes a cause (settings.diagnosis). */
export interface LatencyThresholds {
  readonly originLatencyMs: number;
  readonly edgeRttMs: number;
}

export interface DiagnoseInput {
  /** The health model's view; absent when only a log is there (analyze). */
  readonly snapshot?: HealthSnapshot;
  readonly lines: ReadonlyMap<CauseId, LineProof>;
  readonly reach?: ReachView;
  readonly edgeRtt?: readonly EdgeRtt[];
  /** The tunnel this replica is meant to serve (settings.edge.tunnelId). */
  readonly expectedTunnelId?: string;
  readonly thresholds?: LatencyThresholds;
  /** Where the causes page is served; each diagnosis links `<base>/causes.md#<cause>`. */
  readonly runbookBaseUrl: string;
  /** The latest requests through the tunnel (settings.endToEnd), one per URL. */
  readonly tunnelChecks?: readonly TunnelCheckView[];
}

/** First match wins: a timeout in the TLS phase is a timeout, not an untrusted certificate. */
const ORIGIN_REASONS: readonly [RegExp, CauseId][] = [
  [/timeout|ETIMEDOUT/, 'origin_timeout'],
  [/certificate|self-signed|x509|verify/i, 'origin_tls_untrusted'],
  [/ECONNREFUSED|connection refused/, 'origin_refused'],
  [/ENOTFOUND|EAI_AGAIN|no such host/, 'origin_unknown_host'],
  [/^status 5\d\d/, 'origin_5xx'],
];

/** The cause an origin probe's error names, if any. */
export function originCause(error: string): CauseId | undefined {
  return ORIGIN_REASONS.find(([pattern]) => pattern.test(error))?.[1];
}

/** Causes a fatal line names, so a crash with one of them is not reported as a bare crash as well. */
const START_UP_CAUSES: readonly CauseId[] = ['metrics_port_in_use', 'config_invalid', 'token_malformed', 'edge_dns_failed', 'credentials_rejected', 'tunnel_not_found'];

class Findings {
  readonly #found = new Map<CauseId, { confidence: Confidence; since: number | undefined; evidence: Evidence[] }>();

  add(cause: CauseId, confidence: Confidence, evidence: readonly Evidence[], since: number | undefined): void {
    const known = this.#found.get(cause);
    if (known === undefined) {
      this.#found.set(cause, { confidence, since, evidence: [...evidence] });
      return;
    }
    known.evidence.push(...evidence);
    if (since !== undefined) known.since = known.since === undefined ? since : Math.min(known.since, since);
    if (confidence === 'high') known.confidence = 'high';
  }

  has(cause: CauseId): boolean {
    return this.#found.has(cause);
  }

  list(runbookBaseUrl: string): Diagnosis[] {
    return CAUSE_IDS.filter((cause) => this.#found.has(cause)).map((cause) => {
      const { confidence, since, evidence } = this.#found.get(cause) ?? { confidence: 'medium', since: undefined, evidence: [] };
      const definition = CAUSES[cause];
      const runbook = `${runbookBaseUrl}/causes.md#${cause}`;
      return { cause, domain: definition.domain, title: definition.title, confidence, ...(since === undefined ? {} : { since }), evidence, remediation: definition.remediation, runbook };
    });
  }
}

function fromLines(found: Findings, lines: ReadonlyMap<CauseId, LineProof>): void {
  for (const [cause, proof] of lines) {
    const shown = proof.latest.at(-1) === undefined ? [proof.first] : [proof.first, ...proof.latest];
    const more = proof.count > shown.length ? [{ source: 'log' as const, text: `${String(proof.count)} such lines in all` }] : [];
    found.add(cause, 'high', [...shown.map((l): Evidence => ({ source: 'log', ...(l.at === undefined ? {} : { at: l.at }), text: l.text })), ...more], proof.first.at);
  }
}

function fromReasons(found: Findings, s: HealthSnapshot): void {
  for (const reason of s.reasons) {
    const evidence = [{ source: 'reason' as const, at: reason.since, text: `${reason.code}: ${reason.message}` }];
    switch (reason.code) {
      case 'registration_refused':
        // Over QUIC cloudflared logs no reason: the refusal is counted, the cause is the usual one, inferred.
        if (/does not log the reason/.test(reason.message)) found.add('credentials_rejected', 'medium', evidence, reason.since);
        else if (/Failed to get tunnel|not found/i.test(reason.message)) found.add('tunnel_not_found', 'high', evidence, reason.since);
        else if (/Unauthorized|Invalid tunnel secret/i.test(reason.message)) found.add('credentials_rejected', 'high', evidence, reason.since);
        break;
      case 'protocol_fallback':
        found.add('udp_7844_blocked', 'high', evidence, reason.since);
        break;
      case 'reconnect_storm':
        found.add('edge_closing_connections', 'medium', evidence, reason.since);
        break;
      default:
        break;
    }
  }
}

function fromProcess(found: Findings, s: HealthSnapshot): void {
  const { phase, lastExit } = s.process;
  if (lastExit === undefined || (phase !== 'backoff' && phase !== 'breaker_open')) return;
  const evidence = [{ source: 'process' as const, text: `${phase === 'breaker_open' ? 'restarts stopped' : 'restarting'}; last exit: ${lastExit}` }];
  if (/signal SIGKILL|exit 137/.test(lastExit)) found.add('connector_killed', 'high', evidence, s.since);
  else if (lastExit.startsWith('hang')) found.add('connector_hung', 'high', evidence, s.since);
  else if (lastExit.startsWith('disconnected_too_long')) found.add('disconnected_too_long', 'high', evidence, s.since);
  else if (!START_UP_CAUSES.some((cause) => found.has(cause))) found.add('connector_crashed', 'high', evidence, s.since);
}

function fromOrigins(found: Findings, s: HealthSnapshot): void {
  for (const origin of s.origins) {
    if (origin.state !== 'down' || origin.reason === undefined) continue;
    const cause = originCause(origin.reason);
    if (cause === undefined) continue;
    const name = origin.hostname === undefined ? `${origin.key} (${origin.service})` : `${origin.hostname} -> ${origin.service}`;
    found.add(cause, 'high', [{ source: 'probe', ...(origin.lastProbeAt === undefined ? {} : { at: origin.lastProbeAt }), text: `${name}: ${origin.reason}` }], origin.since);
  }
}

function fromTunnel(found: Findings, s: HealthSnapshot, expected: string | undefined): void {
  if (expected === undefined || s.tunnelId === undefined || s.tunnelId.toLowerCase() === expected.toLowerCase()) return;
  found.add('other_tunnel', 'high', [{ source: 'log', text: `cloudflared runs tunnel ${s.tunnelId}; edge.tunnelId is ${expected}` }], s.at);
}

function fromEdge(found: Findings, s: HealthSnapshot): void {
  const { edge } = s;
  if (!edge.configured || edge.status === 'unknown' || edge.checkedAt === undefined) return;
  const at = edge.checkedAt;
  if (edge.connector !== undefined && edge.connectors.length === 1) {
    found.add('single_replica', 'high', [{ source: 'edge', at, text: `the Cloudflare API lists 1 connector for the tunnel: ${edge.connector.id}` }], at);
  }
  const versions = new Set(edge.connectors.map((c) => c.version).filter((v) => v !== undefined));
  if (versions.size > 1) {
    const list = edge.connectors.map((c) => `${c.id} ${c.version ?? '?'}`).join(', ');
    found.add('version_skew', 'high', [{ source: 'edge', at, text: `connectors run ${[...versions].join(' and ')}: ${list}` }], at);
  }
}

function fromLatency(found: Findings, s: HealthSnapshot, input: DiagnoseInput): void {
  const limits = input.thresholds;
  if (limits === undefined) return;
  for (const origin of s.origins) {
    const took = origin.lastDurationMs;
    if (origin.state !== 'up' || took === undefined || took <= limits.originLatencyMs) continue;
    const name = origin.hostname ?? origin.key;
    const at = origin.lastProbeAt ?? s.at;
    found.add('origin_slow', 'high', [{ source: 'probe', at, text: `${name}: answered in ${String(Math.round(took))} ms (threshold ${String(limits.originLatencyMs)} ms)` }], at);
  }
  for (const c of input.edgeRtt ?? []) {
    if (c.smoothedRttMs === undefined || c.smoothedRttMs <= limits.edgeRttMs) continue;
    found.add('edge_slow', 'high', [{ source: 'metric', at: s.at, text: `cloudflared_quic_client_smoothed_rtt{conn_index="${String(c.connIndex)}"} ${String(c.smoothedRttMs)} ms (threshold ${String(limits.edgeRttMs)} ms)` }], s.at);
  }
}

/** QUIC answered the live UDP check while the connector stays on its fallback: the fallback outlived its cause. */
function fromReach(found: Findings, s: HealthSnapshot, reach: ReachView | undefined): void {
  const fallback = s.reasons.find((r) => r.code === 'protocol_fallback');
  const udp = reach?.checks.find((c) => c.check === 'udp' && c.status === 'reachable');
  if (fallback === undefined || udp === undefined) return;
  found.add('quic_fallback_persists', 'high', [
    { source: 'reason', at: fallback.since, text: `protocol_fallback: ${fallback.message}` },
    { source: 'reach', at: s.at, text: `UDP ${udp.address ?? udp.target}:${String(udp.port ?? 7844)} answers QUIC now` },
  ], s.at);
}

/** Every cause the input proves, most certain first, then in catalogue order. */
export function diagnose(input: DiagnoseInput): readonly Diagnosis[] {
  const found = new Findings();
  const s = input.snapshot;
  fromLines(found, input.lines);
  if (s !== undefined) {
    fromReasons(found, s);
    fromProcess(found, s);
    fromOrigins(found, s);
    fromEdge(found, s);
    fromReach(found, s, input.reach);
    fromLatency(found, s, input);
    fromTunnel(found, s, input.expectedTunnelId);
  }
  for (const f of tunnelCheckFindings(input.tunnelChecks ?? [], s)) found.add(f.cause, f.confidence, f.evidence, f.since);
  let list = found.list(input.runbookBaseUrl);
  // UDP works now: the blocked-UDP lines are history, the fallback that outlived them is the cause.
  if (found.has('quic_fallback_persists')) list = list.filter((d) => d.cause !== 'udp_7844_blocked');
  return [...list.filter((d) => d.confidence === 'high'), ...list.filter((d) => d.confidence === 'medium')];
}
