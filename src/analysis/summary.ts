import type { LogEvent } from '../cloudflared/log/index.js';
import { applyEvent, initialConnections, slotsUp, type DownCause } from '../state/index.js';
import { normaliseReason } from './reasons.js';
import { findStorms, type Storm } from './storms.js';
import { recordEvent, recordLost, recordUp, type Timeline, type TimelineEntry } from './timeline.js';

// Explains one cloudflared log: what happened to each HA connection, and the patterns an SRE looks for.

export interface Disconnect {
  readonly connIndex: number;
  readonly timestamp?: number;
  readonly cause: DownCause;
  /** The first error cloudflared logged about this loss, normalised; filled from later lines when the first had none. */
  reason: string;
  /** The timeline entry showing this loss, kept in step with `reason`. */
  readonly entry: TimelineEntry;
}

export interface LogSummary {
  readonly lines: number;
  readonly version?: string;
  readonly connectorId?: string;
  readonly tunnelId?: string;
  /** Connection indexes registered at the end of the log, sorted. */
  readonly connectionsUp: number[];
  readonly registrations: number;
  /** Registered connections that went down; each loss counts once however many lines describe it. */
  readonly disconnects: number;
  readonly disconnectReasons: { reason: string; count: number }[];
  readonly fallbacks: number;
  readonly fallbackEvents: { connIndex?: number; protocol: string; timestamp?: number }[];
  /** Failed proxied requests (one per request, not per log line). */
  readonly originErrors: number;
  readonly originErrorsByService: { originService: string; count: number; reasons: { reason: string; count: number }[] }[];
  /** Registrations the edge refused (e.g. `Unauthorized: Invalid tunnel secret`), ranked. */
  readonly registerErrors: { reason: string; count: number }[];
  readonly reconnectStorms: Storm[];
  readonly configVersions: { version?: number; timestamp?: number; rules?: number }[];
  readonly protocols: Record<string, number>;
  readonly locations: Record<string, number>;
  readonly timeline: Record<string, TimelineEntry[]>;
  /** Lines by format, so a log full of unreadable lines is visible. */
  readonly formats: Record<string, number>;
  readonly fatal: string[];
}

export interface SummaryOptions {
  /** Disconnects closer together than this belong to one storm. */
  readonly stormGapMs?: number;
  /** Disconnects in a cluster needed to call it a storm. */
  readonly stormMinDisconnects?: number;
}

function rank(counts: ReadonlyMap<string, number>): { reason: string; count: number }[] {
  return [...counts.entries()]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function describeCause(cause: DownCause): string {
  switch (cause) {
    case 'graceful_shutdown':
      return 'graceful shutdown';
    case 'connector_restarted':
      return 'connector restarted without a clean shutdown';
    case 'fatal_shutdown':
      return 'connector shut down after a fatal error';
    case 'connection_error':
      return 'unknown (cloudflared logged no error)';
  }
}

function ruleCount(configJson: string | undefined): number | undefined {
  if (configJson === undefined) return undefined;
  let config: unknown;
  try {
    config = JSON.parse(configJson);
  } catch {
    return undefined;
  }
  if (typeof config !== 'object' || config === null) return undefined;
  const ingress = (config as { ingress?: unknown }).ingress;
  return Array.isArray(ingress) ? ingress.length : undefined;
}

/** Builds the summary of a sequence of parsed log events. */
export function summarise(events: readonly LogEvent[], options: SummaryOptions = {}): LogSummary {
  let state = initialConnections;
  let registrations = 0;
  const disconnects: Disconnect[] = [];
  // The open loss of each slot, so later lines about the same loss can supply its reason.
  const openLoss = new Map<number, Disconnect>();
  const fallbackEvents: LogSummary['fallbackEvents'] = [];
  const origin = new Map<string, { count: number; reasons: Map<string, number> }>();
  const registerErrors = new Map<string, number>();
  const configVersions: LogSummary['configVersions'] = [];
  const protocols = new Map<string, number>();
  const locations = new Map<string, number>();
  const formats = new Map<string, number>();
  const timeline: Timeline = new Map();
  const fatal: string[] = [];
  let originErrors = 0;

  for (const event of events) {
    bump(formats, event.format);
    const result = applyEvent(state, event);
    state = result.state;
    for (const t of result.transitions) {
      if (t.kind === 'up') {
        registrations++;
        openLoss.delete(t.slot.connIndex);
        recordUp(timeline, t.slot, event.timestamp);
        if (t.slot.protocol) bump(protocols, t.slot.protocol);
        if (t.slot.location) bump(locations, t.slot.location);
      } else {
        const reason = t.error !== undefined ? normaliseReason(t.error) : t.cause === 'connection_error' ? '' : describeCause(t.cause);
        const entry = recordLost(timeline, t.slot.connIndex, event.timestamp, reason);
        const loss: Disconnect = { connIndex: t.slot.connIndex, timestamp: t.slot.since, cause: t.cause, reason, entry };
        disconnects.push(loss);
        openLoss.set(t.slot.connIndex, loss);
      }
    }
    if (event.connIndex !== undefined && event.error !== undefined) {
      const loss = openLoss.get(event.connIndex);
      if (loss?.reason === '') loss.reason = loss.entry.detail = normaliseReason(event.error);
    }
    recordEvent(timeline, event);
    switch (event.type) {
      case 'fallback':
        fallbackEvents.push({ connIndex: event.connIndex, protocol: event.protocol, timestamp: event.timestamp });
        break;
      case 'origin_error': {
        originErrors++;
        const key = event.originService ?? '(unknown origin)';
        const entry = origin.get(key) ?? { count: 0, reasons: new Map<string, number>() };
        entry.count++;
        bump(entry.reasons, normaliseReason(event.error ?? ''));
        origin.set(key, entry);
        break;
      }
      case 'register_error':
        bump(registerErrors, normaliseReason(event.error ?? event.message));
        break;
      case 'config_updated':
        configVersions.push({ version: event.version, timestamp: event.timestamp, rules: ruleCount(event.configJson) });
        break;
      case 'fatal':
      case 'shutdown':
        // `Initiating shutdown error=…` ends the process as surely as a start-up error, connections up or not.
        if (event.type === 'fatal' || event.phase === 'fatal') {
          fatal.push(event.error === undefined ? event.message : `${event.message}: ${event.error}`);
        }
        break;
      default:
        break;
    }
  }

  const reasons = new Map<string, number>();
  for (const loss of disconnects) {
    if (loss.reason === '') loss.reason = loss.entry.detail = describeCause(loss.cause);
    bump(reasons, loss.reason);
  }

  return {
    lines: events.length,
    version: state.version,
    connectorId: state.connectorId,
    tunnelId: state.tunnelId,
    connectionsUp: slotsUp(state),
    registrations,
    disconnects: disconnects.length,
    disconnectReasons: rank(reasons),
    fallbacks: fallbackEvents.length,
    fallbackEvents,
    originErrors,
    originErrorsByService: [...origin.entries()]
      .map(([originService, e]) => ({ originService, count: e.count, reasons: rank(e.reasons) }))
      .sort((a, b) => b.count - a.count || a.originService.localeCompare(b.originService)),
    registerErrors: rank(registerErrors),
    reconnectStorms: findStorms(
      disconnects.filter((d) => d.cause === 'connection_error'),
      options.stormGapMs ?? 60_000,
      options.stormMinDisconnects ?? 5,
    ),
    configVersions,
    protocols: Object.fromEntries(protocols),
    locations: Object.fromEntries(locations),
    timeline: Object.fromEntries([...timeline.entries()].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v])),
    formats: Object.fromEntries(formats),
    fatal,
  };
}
