// The health model of one replica: folds observations from the supervisor, the log parser, the /ready and
// /metrics polls, the Cloudflare API and the origin probers into one immutable snapshot per observation.
// Pure: no I/O, no timers, no clock; every time is an observation's `at`, and the model's clock never goes back
// (an observation stamped earlier than the last one is applied at the latest time seen).
import type { ConnectorMetrics } from '../cloudflared/metrics/index.js';
import type { LogEvent } from '../cloudflared/log/index.js';
import type { Settings } from '../config/index.js';
import { applyEvent, initialConnections, slotsUp, type ConnectionsState } from './connections.js';
import { trackDisagreements, type ComparableViews, type DisagreementTimers } from './disagreement.js';
import type { EdgeConnector, Observation, ProcessObservation, TunnelStatus } from './observations.js';
import { applyOriginProbe, applyOriginTargets, initialOrigins, originViews, type OriginsState } from './origin-health.js';
import { assess, hasEvidence, stateReasons } from './reasons.js';
import { freshRefusals, refusalCause, refusalLogged, registered, serverErrorsPolled, type Refusals } from './refusals.js';
import type { ConnectionView, EdgeView, HealthSnapshot, OriginView, Reason, StateTransition } from './snapshot.js';

export interface HealthOptions {
  expectedConnections: number;
  failuresToDown: number;
  successesToUp: number;
  /** ms: a disagreement must last this long before it is reported. */
  disagreementGraceMs: number;
  stormWindowMs: number;
  stormMinDisconnects: number;
  /** Transitions kept in the snapshot (default 50). */
  maxTransitions?: number;
  /** Known upfront (attached mode), else learnt from the log events or /ready; the connector's latest word wins. */
  connectorId?: string;
}

/** The model's options from tunnelwatch's settings. */
export function healthOptions(settings: Settings): HealthOptions {
  return {
    expectedConnections: settings.cloudflared.haConnections,
    failuresToDown: settings.origins.failuresToDown,
    successesToUp: settings.origins.successesToUp,
    // Two polls: /ready and /metrics are read one poll apart from the log lines they are compared with.
    disagreementGraceMs: 2 * settings.cloudflared.pollInterval,
    stormWindowMs: 60_000,
    stormMinDisconnects: 3,
    maxTransitions: 50,
  };
}

type Phase = ProcessObservation['phase'];

// A process in these phases holds no connection, whatever the last log lines or polls said.
const DEAD_PHASES: ReadonlySet<Phase> = new Set(['backoff', 'breaker_open', 'stopped']);

function allSlotsDown(state: ConnectionsState, at: number): ConnectionsState {
  const slots = new Map([...state.slots].map(([i, s]) => [i, s.up ? { ...s, up: false, since: at } : s]));
  return { ...state, slots };
}

function checkOptions(o: HealthOptions): void {
  const whole = (name: string, value: number | undefined, min: number, fix: string): void => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
      throw new RangeError(`HealthModel: ${name} is ${value}; expected an integer ≥ ${min} (${fix})`);
    }
  };
  whole('expectedConnections', o.expectedConnections, 1, 'set cloudflared.haConnections');
  whole('failuresToDown', o.failuresToDown, 1, 'set origins.failuresToDown');
  whole('successesToUp', o.successesToUp, 1, 'set origins.successesToUp');
  whole('disagreementGraceMs', o.disagreementGraceMs, 0, 'set cloudflared.pollInterval');
  whole('stormWindowMs', o.stormWindowMs, 1, 'pass a window in milliseconds');
  whole('stormMinDisconnects', o.stormMinDisconnects, 1, 'pass a loss count');
  whole('maxTransitions', o.maxTransitions, 1, 'pass a bound, or leave it out for 50');
}

/** Folds observations into health snapshots; each apply returns a new immutable snapshot. */
export class HealthModel {
  readonly #options: HealthOptions;
  #current: HealthSnapshot;

  #phase: Phase | undefined;
  #process: HealthSnapshot['process'] = { phase: 'unknown' };
  #conns: ConnectionsState = initialConnections;
  #eventsSeen = false;
  /**
   * Attached to a connector whose log is read from its middle (its end, or where a previous run stopped): the
   * lines about connections made before are not there, so until the log shows cloudflared starting, /ready counts.
   */
  #midStream = false;
  #connectorId: string | undefined;
  #protocol: string | undefined;
  #fallback: { protocol: string; connIndex?: number } | undefined;
  #refusals: Refusals = freshRefusals;
  /** Times of connection losses (not shutdowns or restarts) within the storm window. */
  #losses: number[] = [];
  #ready: { count: number; stale: boolean } | undefined;
  #readyEverOk = false;
  #readyFailing: string | undefined;
  #metrics: { value: ConnectorMetrics; stale: boolean } | undefined;
  #metricsFailing: string | undefined;
  #edge: { configured: boolean; everOk: boolean; ok?: { status: TunnelStatus; connectors: readonly EdgeConnector[] }; error?: string; checkedAt?: number } = {
    configured: false,
    everOk: false,
  };
  #origins: OriginsState = initialOrigins;
  /** The views of `#origins`, kept while it is the same object: most observations (a log line) leave it alone. */
  #originViews: { readonly of: OriginsState; readonly views: readonly OriginView[]; readonly down: readonly string[] } = { of: initialOrigins, views: [], down: [] };
  #timers: DisagreementTimers = {};

  constructor(options: HealthOptions, startedAt: number) {
    checkOptions(options);
    this.#options = options;
    this.#connectorId = options.connectorId;
    this.#current = this.#derive(startedAt, undefined);
  }

  /** The latest snapshot. */
  get snapshot(): HealthSnapshot {
    return this.#current;
  }

  /** Folds one observation in and returns the new snapshot. */
  apply(o: Observation): HealthSnapshot {
    return this.applyAll([o]);
  }

  /** Folds observations in order (e.g. one collector run's) and derives one snapshot after the last. */
  applyAll(observations: readonly Observation[]): HealthSnapshot {
    let at = this.#current.at;
    for (const o of observations) {
      at = Math.max(o.at, at);
      this.#fold(o, at);
    }
    this.#current = this.#derive(at, this.#current);
    return this.#current;
  }

  #fold(o: Observation, at: number): void {
    switch (o.kind) {
      case 'process':
        this.#onProcess(o, at);
        break;
      case 'log':
        this.#onLog(o.event, at);
        break;
      case 'ready':
        if (o.ok) {
          this.#ready = { count: o.readyConnections, stale: false };
          this.#readyEverOk = true;
          this.#readyFailing = undefined;
          if (o.connectorId !== undefined) this.#connectorId = o.connectorId;
        } else this.#readyFailing = o.error;
        break;
      case 'metrics':
        if (o.ok) {
          this.#metrics = { value: o.metrics, stale: false };
          this.#metricsFailing = undefined;
          this.#refusals = serverErrorsPolled(this.#refusals, o.metrics.registerFailByError?.server_error ?? 0);
        } else this.#metricsFailing = o.error;
        break;
      case 'edge':
        this.#edge = o.ok
          ? { configured: true, everOk: true, ok: { status: o.tunnelStatus, connectors: o.connectors }, checkedAt: at }
          : { configured: true, everOk: this.#edge.everOk, error: o.error, checkedAt: at };
        break;
      case 'origin':
        this.#origins = applyOriginProbe(this.#origins, { ...o, at }, this.#options);
        break;
      case 'origin_targets':
        this.#origins = applyOriginTargets(this.#origins, { ...o, at });
        break;
      case 'tick':
        break;
    }
  }

  #onProcess(o: ProcessObservation, at: number): void {
    const wasDead = this.#phase !== undefined && DEAD_PHASES.has(this.#phase);
    const dead = DEAD_PHASES.has(o.phase);
    // A dead process held nothing, and a new (or re-attached) one holds nothing yet: what the last lines and
    // polls said is void until the connector speaks again.
    if (dead || wasDead) {
      this.#conns = { ...allSlotsDown(this.#conns, at), shuttingDown: false };
      if (this.#ready) this.#ready = { ...this.#ready, stale: true };
      if (this.#metrics) this.#metrics = { ...this.#metrics, stale: true };
    }
    if (dead) this.#fallback = undefined;
    if (o.phase === 'attached') this.#midStream = true;
    this.#phase = o.phase;
    this.#process = { phase: o.phase, pid: o.pid, lastExit: o.lastExit };
  }

  #onLog(raw: LogEvent, at: number): void {
    this.#eventsSeen = true;
    // Slot times follow the model's clock, not the line's own time (which may be missing or skewed).
    const event = { ...raw, timestamp: at } as LogEvent;
    const result = applyEvent(this.#conns, event);
    this.#conns = result.state;
    for (const t of result.transitions) if (t.kind === 'down' && t.cause === 'connection_error') this.#losses.push(at);
    switch (event.type) {
      case 'registered':
        this.#protocol = event.protocol ?? this.#protocol;
        this.#refusals = registered(this.#refusals);
        break;
      case 'fallback':
        this.#protocol = event.protocol;
        this.#fallback = event.connIndex === undefined ? { protocol: event.protocol } : { protocol: event.protocol, connIndex: event.connIndex };
        break;
      case 'register_error':
        this.#refusals = refusalLogged(this.#refusals, event.error ?? event.message);
        break;
      case 'starting':
      case 'version':
        this.#midStream = false;
        this.#fallback = undefined;
        this.#refusals = freshRefusals;
        break;
      case 'connector_id':
        this.#connectorId = event.connectorId;
        break;
      default:
        break;
    }
  }

  #derive(at: number, previous: HealthSnapshot | undefined): HealthSnapshot {
    const o = this.#options;
    const phase = this.#phase;
    const dead = phase !== undefined && DEAD_PHASES.has(phase);
    const up = slotsUp(this.#conns);
    const ready = this.#ready;
    const metrics = this.#metrics;
    const readyCount = ready && !ready.stale ? ready.count : 0;
    const logged = this.#logTellsConnections;
    const registered = dead ? 0 : logged ? up.length : readyCount;

    this.#losses = this.#losses.filter((t) => at - t < o.stormWindowMs);

    const connector = this.#edge.ok?.connectors.find((c) => c.id === this.#connectorId);
    const edgeCount =
      this.#edge.ok && this.#connectorId !== undefined ? (connector?.connections.filter((c) => !c.pendingReconnect).length ?? 0) : undefined;
    const evidence = hasEvidence({ phase, eventsSeen: this.#eventsSeen, readyEverOk: this.#readyEverOk });
    const comparable: ComparableViews = {
      registered,
      events: !dead && logged ? up.length : undefined,
      ready: !dead && ready && !ready.stale && this.#readyFailing === undefined ? ready.count : undefined,
      haGauge: !dead && metrics && !metrics.stale && this.#metricsFailing === undefined ? metrics.value.haConnections : undefined,
      edge: evidence && edgeCount !== undefined && this.#connectorId !== undefined ? { connectorId: this.#connectorId, connections: edgeCount } : undefined,
    };
    const tracked = trackDisagreements(this.#timers, comparable, at, o.disagreementGraceMs);
    this.#timers = tracked.timers;

    const unreachable: string[] = [];
    if (phase === 'running' || phase === 'attached') {
      if (this.#readyFailing !== undefined) unreachable.push(`/ready poll failing: ${this.#readyFailing}`);
      if (this.#metricsFailing !== undefined) unreachable.push(`/metrics poll failing: ${this.#metricsFailing}`);
    }
    if (this.#originViews.of !== this.#origins) {
      const views = originViews(this.#origins);
      this.#originViews = { of: this.#origins, views, down: views.filter((v) => v.state === 'down').map((v) => v.key) };
    }
    const origins = this.#originViews.views;
    const assessment = assess({
      phase,
      lastExit: this.#process.lastExit,
      eventsSeen: this.#eventsSeen,
      readyEverOk: this.#readyEverOk,
      expected: o.expectedConnections,
      registered,
      slotsUp: logged ? up : undefined,
      refused: refusalCause(this.#refusals),
      fallback: this.#fallback,
      storm: this.#losses.length >= o.stormMinDisconnects ? { losses: this.#losses.length, windowMs: o.stormWindowMs } : undefined,
      unreachable,
      disagreements: tracked.due,
      edgeError: this.#edge.error,
      edgeEverOk: this.#edge.everOk,
      originsDown: this.#originViews.down,
      originsTotal: origins.length,
    });

    const sinceByCode = new Map(previous?.reasons.map((r) => [r.code, r.since]));
    const reasons: Reason[] = assessment.reasons.map((r) => ({ ...r, since: sinceByCode.get(r.code) ?? at }));
    const changed = previous !== undefined && previous.state !== assessment.state;
    let transitions: readonly StateTransition[] = previous?.transitions ?? [];
    if (previous && changed) {
      const entry: StateTransition = { at, from: previous.state, to: assessment.state, reasons: stateReasons(assessment.state, reasons).map((r) => r.code) };
      transitions = [...transitions, entry].slice(-(o.maxTransitions ?? 50));
    }

    const edge: EdgeView = {
      status: this.#edge.ok?.status ?? 'unknown',
      configured: this.#edge.configured,
      error: this.#edge.error,
      checkedAt: this.#edge.checkedAt,
      connector,
      connectors: this.#edge.ok?.connectors ?? [],
    };
    const buildVersion = metrics?.value.buildInfo?.version;
    return {
      at,
      state: assessment.state,
      since: previous === undefined ? at : changed ? at : previous.since,
      reasons,
      connectorId: this.#connectorId,
      tunnelId: this.#conns.tunnelId,
      version: this.#conns.version ?? (buildVersion === '' ? undefined : buildVersion),
      expectedConnections: o.expectedConnections,
      registeredConnections: registered,
      connections: this.#connectionViews(dead),
      process: this.#process,
      views: {
        events: logged ? up.length : undefined,
        ready: ready?.count,
        haGauge: metrics?.value.haConnections,
        edge: edgeCount,
      },
      protocol: this.#protocol,
      origins,
      edge,
      transitions,
    };
  }

  /** One view per known slot: from the log events, else from the metrics' current edge locations. */
  /** The log holds every connection's story: lines were read, from the connector's start when attached. */
  get #logTellsConnections(): boolean {
    return this.#eventsSeen && !this.#midStream;
  }

  #connectionViews(dead: boolean): ConnectionView[] {
    if (this.#logTellsConnections) {
      return [...this.#conns.slots.values()]
        .sort((a, b) => a.connIndex - b.connIndex)
        .map((s) => ({ connIndex: s.connIndex, up: s.up, protocol: s.protocol, location: s.location, edgeIp: s.ip, connectionId: s.connectionId, since: s.since }));
    }
    const metrics = this.#metrics;
    const live = !dead && metrics !== undefined && !metrics.stale;
    return [...(metrics?.value.currentLocations ?? [])]
      .sort((a, b) => a.connIndex - b.connIndex)
      .map((l) => ({ connIndex: l.connIndex, up: live, location: l.location }));
  }
}
