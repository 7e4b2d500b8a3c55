// Observation builders for the health model tests: plain typed data, as the collectors would send it.
import fc from 'fast-check';
import type { ConnectorMetrics } from '../../src/cloudflared/metrics/connector-metrics.js';
import type { LogEvent } from '../../src/cloudflared/log/event.js';
import { HealthModel, type HealthOptions } from '../../src/state/health-model.js';
import type { LogObservation, Observation, ProcessObservation } from '../../src/state/observations.js';
import type { HealthSnapshot } from '../../src/state/snapshot.js';

export const T0 = 1_790_000_000_000;

export const OPTIONS: HealthOptions = {
  expectedConnections: 4,
  failuresToDown: 3,
  successesToUp: 2,
  disagreementGraceMs: 10_000,
  stormWindowMs: 60_000,
  stormMinDisconnects: 3,
};

/** Applies the observations in order; returns the model and every snapshot (the initial one first). */
export function run(observations: readonly Observation[], options: Partial<HealthOptions> = {}): { model: HealthModel; snapshots: HealthSnapshot[] } {
  const model = new HealthModel({ ...OPTIONS, ...options }, T0);
  const snapshots = [model.snapshot];
  for (const o of observations) snapshots.push(model.apply(o));
  return { model, snapshots };
}

const log = (at: number, event: LogEvent): LogObservation => ({ kind: 'log', at, event });
const json = { format: 'json', fields: {} } as const;

export const registered = (at: number, connIndex: number, protocol = 'quic'): LogObservation =>
  log(at, {
    ...json,
    type: 'registered',
    level: 'info',
    message: 'Registered tunnel connection',
    connIndex,
    protocol,
    location: `lax0${connIndex + 1}`,
    ip: `198.41.200.${10 + connIndex}`,
    connectionId: `00000000-0000-4000-8000-00000000000${connIndex}`,
  });
export const lost = (at: number, connIndex: number, error = 'timeout: no recent network activity'): LogObservation =>
  log(at, { ...json, type: 'serve_error', level: 'error', message: 'Serve tunnel error', connIndex, error });
export const fellBack = (at: number, connIndex: number, protocol = 'http2'): LogObservation =>
  log(at, { ...json, type: 'fallback', level: 'info', message: `Switching to fallback protocol ${protocol}`, connIndex, protocol });
export const refused = (at: number, connIndex: number, error = 'Unauthorized: Invalid tunnel secret'): LogObservation =>
  log(at, { ...json, type: 'register_error', level: 'error', message: 'Register tunnel error from server side', connIndex, error });
export const retrying = (at: number, connIndex: number): LogObservation =>
  log(at, { ...json, type: 'retrying', level: 'info', message: 'Retrying connection in up to 2s', connIndex, delayMs: 2000 });
export const version = (at: number, v = '2026.11.0'): LogObservation =>
  log(at, { ...json, type: 'version', level: 'info', message: `Version ${v}`, version: v });
export const connectorIdEvent = (at: number, connectorId: string): LogObservation =>
  log(at, { ...json, type: 'connector_id', level: 'info', message: `Generated Connector ID: ${connectorId}`, connectorId });
export const signalled = (at: number): LogObservation =>
  log(at, { ...json, type: 'shutdown', level: 'info', message: 'Initiating graceful shutdown due to signal terminated ...', phase: 'signal' });
export const unregistered = (at: number, connIndex: number): LogObservation =>
  log(at, { ...json, type: 'unregistered', level: 'info', message: 'Unregistered tunnel connection', connIndex });

export const proc = (at: number, phase: ProcessObservation['phase'], lastExit?: string): ProcessObservation =>
  lastExit === undefined ? { kind: 'process', at, phase, pid: 4242 } : { kind: 'process', at, phase, pid: 4242, lastExit };
export const ready = (at: number, readyConnections: number, connectorId?: string): Observation =>
  connectorId === undefined
    ? { kind: 'ready', at, ok: true, status: readyConnections > 0 ? 200 : 503, readyConnections }
    : { kind: 'ready', at, ok: true, status: readyConnections > 0 ? 200 : 503, readyConnections, connectorId };
export const readyFail = (at: number, error = 'connect ECONNREFUSED 127.0.0.1:20241'): Observation => ({ kind: 'ready', at, ok: false, error });

export function metricsOf(haConnections: number | undefined, locations: readonly string[] = []): ConnectorMetrics {
  const serverLocations = locations.map((location, connIndex) => ({ connIndex, location, value: 1 }));
  return { haConnections, serverLocations, currentLocations: serverLocations, process: {}, legacy: [], anomalies: [] };
}
export const metrics = (at: number, haConnections: number | undefined, locations: readonly string[] = []): Observation => ({
  kind: 'metrics',
  at,
  ok: true,
  metrics: metricsOf(haConnections, locations),
});
/** A /metrics poll whose cloudflared_tunnel_tunnel_register_fail{error="server_error"} reads `serverErrors`. */
export const registerFails = (at: number, serverErrors: number): Observation => ({
  kind: 'metrics',
  at,
  ok: true,
  metrics: { ...metricsOf(undefined), registerFailTotal: serverErrors, registerFailByError: { server_error: serverErrors } },
});
export const metricsFail = (at: number, error = 'connect ECONNREFUSED 127.0.0.1:20241'): Observation => ({ kind: 'metrics', at, ok: false, error });

/** An edge answer listing connectors by id with that many connections (plus `pending` ones pending reconnect). */
export const edgeOk = (at: number, connectors: readonly { id: string; n: number; pending?: number; version?: string }[], tunnelStatus: 'healthy' | 'degraded' | 'down' | 'inactive' = 'healthy'): Observation => ({
  kind: 'edge',
  at,
  ok: true,
  tunnelStatus,
  connectors: connectors.map((c) => ({
    id: c.id,
    ...(c.version === undefined ? {} : { version: c.version }),
    connections: [
      ...Array.from({ length: c.n }, (_, i) => ({ id: `${c.id}-${i}`, colo: 'lax', pendingReconnect: false })),
      ...Array.from({ length: c.pending ?? 0 }, (_, i) => ({ id: `${c.id}-p${i}`, colo: 'lax', pendingReconnect: true })),
    ],
  })),
});
export const edgeFail = (at: number, error = '429 Too Many Requests'): Observation => ({ kind: 'edge', at, ok: false, error });
export const tick = (at: number): Observation => ({ kind: 'tick', at });
export const targets = (at: number, keys: readonly string[]): Observation => ({
  kind: 'origin_targets',
  at,
  targets: keys.map((key, rule) => ({ key, service: `http://127.0.0.1:${8000 + rule}`, rule })),
});
export const probe = (at: number, key: string, ok: boolean, error = 'connect ECONNREFUSED 127.0.0.1:8000'): Observation =>
  ok ? { kind: 'origin', at, key, ok, durationMs: 3 } : { kind: 'origin', at, key, ok, error, durationMs: 5 };

/** Process running, connector id `c-1`, `n` slots registered one second apart from `at`. */
export const connected = (at: number, n: number): Observation[] => [
  proc(at, 'running'),
  version(at + 1),
  connectorIdEvent(at + 2, 'c-1'),
  ...Array.from({ length: n }, (_, i) => registered(at + 1000 * (i + 1), i)),
];

type Make = (at: number) => Observation;
const slot = fc.integer({ min: 0, max: 5 });
const count = fc.integer({ min: 0, max: 5 });

/** Any observation (a builder awaiting its time), weighted toward the ones that move the connector state. */
export const anyObservation: fc.Arbitrary<Make> = fc.oneof(
  {
    arbitrary: fc.constantFrom<ProcessObservation['phase']>('running', 'backoff', 'breaker_open', 'stopped', 'attached').map((phase): Make => (at) => proc(at, phase, 'exit 1')),
    weight: 2,
  },
  { arbitrary: slot.map((i): Make => (at) => registered(at, i)), weight: 3 },
  { arbitrary: slot.map((i): Make => (at) => lost(at, i)), weight: 2 },
  slot.map((i): Make => (at) => unregistered(at, i)),
  slot.map((i): Make => (at) => fellBack(at, i)),
  slot.map((i): Make => (at) => refused(at, i)),
  slot.map((i): Make => (at) => retrying(at, i)),
  fc.constantFrom<Make>((at) => version(at), (at) => connectorIdEvent(at, 'c-1'), (at) => connectorIdEvent(at, 'c-2'), (at) => signalled(at)),
  fc.tuple(count, fc.boolean()).map(([n, withId]): Make => (at) => ready(at, n, withId ? 'c-1' : undefined)),
  fc.constant<Make>((at) => readyFail(at)),
  fc.option(count).map((n): Make => (at) => metrics(at, n ?? undefined, ['lax01', 'sjc01'])),
  fc.constant<Make>((at) => metricsFail(at)),
  fc.array(fc.record({ id: fc.constantFrom('c-1', 'c-2'), n: count, pending: count }), { maxLength: 2 }).map((cs): Make => (at) => edgeOk(at, cs)),
  fc.constant<Make>((at) => edgeFail(at)),
  fc.subarray(['a', 'b', 'c']).map((keys): Make => (at) => targets(at, keys)),
  { arbitrary: fc.tuple(fc.constantFrom('a', 'b', 'zz'), fc.boolean()).map(([key, ok]): Make => (at) => probe(at, key, ok)), weight: 2 },
  fc.constant<Make>((at) => tick(at)),
);

/** A timed sequence of observations after `start`; times mostly advance, sometimes step back a little. */
export function observationsFrom(start: number, maxLength = 40): fc.Arbitrary<Observation[]> {
  return fc.array(fc.tuple(fc.integer({ min: -2_000, max: 20_000 }), anyObservation), { maxLength }).map((steps) => {
    let at = start;
    return steps.map(([delta, make]) => make((at += delta)));
  });
}
