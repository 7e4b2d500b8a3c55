// From what the model has gathered to one connector state and its reasons, with Cloudflare's meanings: a stopped
// connector is inactive, one with no registered connection is down, one missing some is degraded. Reasons that
// only inform (fallback, storms, disagreements, edge and origin trouble) never change the state.
import type { ProcessObservation } from './observations.js';
import { REASON_CODES, type ConnectorState, type ReasonCode } from './snapshot.js';

/** What the model knows at one moment, already reduced to what the state and reasons depend on. */
export interface Evidence {
  readonly phase?: ProcessObservation['phase'];
  readonly lastExit?: string;
  readonly eventsSeen: boolean;
  readonly readyEverOk: boolean;
  readonly expected: number;
  readonly registered: number;
  /** Registered slots by the log events; undefined when the count comes from /ready. */
  readonly slotsUp?: readonly number[];
  /** Error of the last registration refused by the edge, unless a registration succeeded since. */
  readonly refused?: string;
  readonly fallback?: { readonly protocol: string; readonly connIndex?: number };
  readonly storm?: { readonly losses: number; readonly windowMs: number };
  /** Failing polls of a connector that should answer (`/ready: ...`, `/metrics: ...`). */
  readonly unreachable: readonly string[];
  readonly disagreements: readonly { readonly code: ReasonCode; readonly message: string }[];
  /** The last Cloudflare API poll failed with this error. */
  readonly edgeError?: string;
  readonly edgeEverOk: boolean;
  readonly originsDown: readonly string[];
  readonly originsTotal: number;
}

export interface Assessment {
  readonly state: ConnectorState;
  /** One entry per code, in REASON_CODES order. */
  readonly reasons: readonly { readonly code: ReasonCode; readonly message: string }[];
}

const LIVE_PHASES: ReadonlySet<string> = new Set(['running', 'backoff', 'breaker_open']);

/** Whether anything says how many connections the connector holds (else its state is unknown or inactive). */
export function hasEvidence(e: Pick<Evidence, 'phase' | 'eventsSeen' | 'readyEverOk'>): boolean {
  if (e.phase === 'stopped') return false;
  return e.eventsSeen || e.readyEverOk || (e.phase !== undefined && LIVE_PHASES.has(e.phase));
}

function missing(expected: number, up: readonly number[]): number[] {
  const present = new Set(up);
  return Array.from({ length: expected }, (_, i) => i).filter((i) => !present.has(i));
}

function connectorState(e: Evidence, add: (code: ReasonCode, message: string) => void): ConnectorState {
  const exit = e.lastExit === undefined ? '' : ` (last exit: ${e.lastExit})`;
  if (e.phase === 'stopped') {
    add('process_not_running', `the connector process is stopped${exit}`);
    return 'inactive';
  }
  if (!hasEvidence(e)) {
    if (e.phase === 'attached') add('connector_unreachable', 'the attached connector has shown no log line and no successful /ready yet');
    else add('no_data', 'nothing observed yet: no process state, log line or successful /ready');
    return 'unknown';
  }
  const counted = `${e.registered} of ${e.expected} HA connections registered`;
  if (e.registered === 0) {
    if (e.phase === 'breaker_open') add('crash_loop', `the connector keeps crashing and restarts have stopped${exit}`);
    if (e.phase === 'backoff') add('process_restarting', `the connector ended and a restart is scheduled${exit}`);
    if (e.refused !== undefined) add('registration_refused', `the edge refused registration: ${e.refused}`);
    add('no_connections', counted);
    return 'down';
  }
  if (e.registered < e.expected) {
    const gaps = e.slotsUp === undefined ? [] : missing(e.expected, e.slotsUp);
    add('connections_missing', gaps.length > 0 ? `${counted} (missing: ${gaps.join(', ')})` : counted);
    return 'degraded';
  }
  return 'healthy';
}

/** Derives the connector state and every reason that applies, one message per code. */
export function assess(e: Evidence): Assessment {
  const messages = new Map<ReasonCode, string>();
  const add = (code: ReasonCode, message: string): void => {
    const before = messages.get(code);
    messages.set(code, before === undefined ? message : `${before}; ${message}`);
  };
  const state = connectorState(e, add);

  if (e.fallback) {
    const who = e.fallback.connIndex === undefined ? 'a connection' : `connection ${e.fallback.connIndex}`;
    add('protocol_fallback', `${who} fell back to protocol ${e.fallback.protocol}`);
  }
  if (e.storm) add('reconnect_storm', `${e.storm.losses} connection losses within ${e.storm.windowMs / 1000} s`);
  for (const d of e.disagreements) add(d.code, d.message);
  if (e.edgeError !== undefined) {
    add('edge_unknown', `${e.edgeEverOk ? 'the Cloudflare API stopped answering' : 'the Cloudflare API has not answered yet'}: ${e.edgeError}`);
  }
  for (const failure of e.unreachable) add('connector_unreachable', failure);
  if (e.originsDown.length > 0) add('origins_down', `${e.originsDown.length} of ${e.originsTotal} origins down: ${e.originsDown.join(', ')}`);

  const reasons = [...messages.entries()]
    .map(([code, message]) => ({ code, message }))
    .sort((a, b) => REASON_CODES.indexOf(a.code) - REASON_CODES.indexOf(b.code));
  return { state, reasons };
}

/** The codes connectorState() gives for the state itself; the others only inform and never change it. */
const STATE_MAKING: ReadonlySet<ReasonCode> = new Set<ReasonCode>(['no_data', 'process_not_running', 'process_restarting', 'crash_loop', 'no_connections', 'connections_missing', 'registration_refused']);

/** The reasons that make `state` (an unreachable connector makes `unknown` only): what a transition into it is about. */
export function stateReasons<R extends { readonly code: ReasonCode }>(state: ConnectorState, reasons: readonly R[]): R[] {
  return reasons.filter((r) => STATE_MAKING.has(r.code) || (r.code === 'connector_unreachable' && state === 'unknown'));
}
