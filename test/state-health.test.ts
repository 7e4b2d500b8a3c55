import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import { settingsSchema } from '../src/config/schema.js';
import { HealthModel, healthOptions, type HealthOptions } from '../src/state/health-model.js';
import type { Observation } from '../src/state/observations.js';
import { CONNECTOR_STATES, REASON_CODES, type ConnectorState, type HealthSnapshot, type ReasonCode } from '../src/state/snapshot.js';
import { TRANSITION_TABLE } from '../src/state/transitions.js';
import {
  connected,
  connectorIdEvent,
  edgeFail,
  edgeOk,
  fellBack,
  lost,
  metrics,
  observationsFrom,
  OPTIONS,
  probe,
  proc,
  ready,
  readyFail,
  refused,
  registerFails,
  registered,
  retrying,
  run,
  T0,
  targets,
  tick,
  version,
} from './helpers/state-observations.js';

const T = T0 + 1000;
const codes = (s: HealthSnapshot): ReasonCode[] => s.reasons.map((r) => r.code);
const message = (s: HealthSnapshot, code: ReasonCode): string | undefined => s.reasons.find((r) => r.code === code)?.message;
const last = (observations: readonly Observation[], options: Partial<HealthOptions> = {}): HealthSnapshot => {
  const { snapshots } = run(observations, options);
  return snapshots[snapshots.length - 1] as HealthSnapshot;
};

const healthy = connected(T, 4); // all four registered by T + 4000
const L = T + 10_000; // losses start here

interface Scenario {
  readonly name: string;
  readonly steps: readonly Observation[];
  readonly state: ConnectorState;
  readonly codes: readonly ReasonCode[];
  readonly messages?: Partial<Record<ReasonCode, string | RegExp>>;
  readonly options?: Partial<HealthOptions>;
}

const scenarios: Scenario[] = [
  { name: 'nothing observed → unknown, no_data', steps: [], state: 'unknown', codes: ['no_data'] },
  { name: 'edge, origins and ticks alone say nothing about the connector', steps: [edgeOk(T, []), targets(T, ['a']), tick(T + 1)], state: 'unknown', codes: ['no_data'] },
  { name: 'attached, no log line and no /ready → unknown, connector_unreachable', steps: [proc(T, 'attached')], state: 'unknown', codes: ['connector_unreachable'] },
  { name: 'attached, /ready failing → still unknown', steps: [proc(T, 'attached'), readyFail(T + 1)], state: 'unknown', codes: ['connector_unreachable'], messages: { connector_unreachable: /no log line.*; \/ready poll failing: connect ECONNREFUSED/ } },
  // Attached from the log's middle, the lines about the four connections made before are not there: one
  // reconnect logged is not "1 of 4"; /ready counts until the log shows cloudflared starting.
  { name: 'attached mid-log: a reconnect logged, /ready 4 → healthy (by /ready)', steps: [proc(T, 'attached'), ready(T + 1, 4), lost(T + 2, 2), registered(T + 3, 2)], state: 'healthy', codes: [] },
  { name: 'attached mid-log: /ready 2 → degraded, whatever the log says of one slot', steps: [proc(T, 'attached'), registered(T + 1, 1), ready(T + 2, 2)], state: 'degraded', codes: ['connections_missing'] },
  { name: 'attached, then the log shows cloudflared starting: its events count again', steps: [proc(T, 'attached'), ready(T + 1, 4), version(T + 2), registered(T + 3, 0)], state: 'degraded', codes: ['connections_missing'] },
  { name: 'running, nothing registered yet → down', steps: [proc(T, 'running')], state: 'down', codes: ['no_connections'], messages: { no_connections: '0 of 4 HA connections registered' } },
  { name: 'all four registered → healthy', steps: healthy, state: 'healthy', codes: [] },
  { name: 'drop one connection → degraded', steps: [...healthy, lost(L, 2)], state: 'degraded', codes: ['connections_missing'], messages: { connections_missing: '3 of 4 HA connections registered (missing: 2)' } },
  { name: 'drop two → degraded, both named', steps: [...healthy, lost(L, 1), lost(L + 1, 3)], state: 'degraded', codes: ['connections_missing'], messages: { connections_missing: '2 of 4 HA connections registered (missing: 1, 3)' } },
  { name: 'drop all, spread out → down', steps: [...healthy, ...[0, 1, 2, 3].map((i) => lost(L + i * 61_000, i))], state: 'down', codes: ['no_connections'] },
  { name: 'drop all at once → down and a storm', steps: [...healthy, ...[0, 1, 2, 3].map((i) => lost(L + i, i))], state: 'down', codes: ['no_connections', 'reconnect_storm'], messages: { reconnect_storm: '4 connection losses within 60 s' } },
  { name: 'more slots than expected still healthy', steps: [...connected(T, 4), registered(T + 9000, 4)], state: 'healthy', codes: [] },
  { name: 'ha gauge 1 with nothing registered → still down, disagreement after the grace', steps: [proc(T, 'running'), version(T + 1), metrics(T + 2, 1), tick(T + 2 + 10_000)], state: 'down', codes: ['no_connections', 'ha_gauge_disagrees'], messages: { ha_gauge_disagrees: 'cloudflared_tunnel_ha_connections reads 1 while 0 connections are registered' } },
  { name: 'ha gauge agreeing → no disagreement', steps: [...healthy, metrics(L, 4), tick(L + 60_000)], state: 'healthy', codes: [] },
  { name: 'fallback → protocol_fallback, state by connections', steps: [proc(T, 'running'), version(T + 1), fellBack(T + 2, 0), ...[0, 1, 2, 3].map((i) => registered(T + 3 + i, i, 'http2'))], state: 'healthy', codes: ['protocol_fallback'], messages: { protocol_fallback: 'connection 0 fell back to protocol http2' } },
  { name: 'a new process forgets the fallback', steps: [...healthy, fellBack(L, 1), version(L + 1)], state: 'down', codes: ['no_connections'] },
  { name: 'edge never answered → edge_unknown, connector unchanged', steps: [...healthy, edgeFail(L)], state: 'healthy', codes: ['edge_unknown'], messages: { edge_unknown: 'the Cloudflare API has not answered yet: 429 Too Many Requests' } },
  { name: 'edge stops answering → edge_unknown, connector unchanged', steps: [...healthy, edgeOk(L, [{ id: 'c-1', n: 4 }]), edgeFail(L + 30_000, 'API down')], state: 'healthy', codes: ['edge_unknown'], messages: { edge_unknown: 'the Cloudflare API stopped answering: API down' } },
  { name: 'edge answers again → edge_unknown clears', steps: [...healthy, edgeFail(L), edgeOk(L + 30_000, [{ id: 'c-1', n: 4 }])], state: 'healthy', codes: [] },
  { name: 'edge says down while events say healthy → state unchanged', steps: [...healthy, edgeOk(L, [{ id: 'c-1', n: 4 }], 'down')], state: 'healthy', codes: [] },
  { name: 'origin dead → origins_down after N failures, connector unchanged', steps: [...healthy, targets(L, ['web', 'api']), probe(L + 1, 'web', false), probe(L + 2, 'web', false), probe(L + 3, 'web', false)], state: 'healthy', codes: ['origins_down'], messages: { origins_down: '1 of 2 origins down: web' } },
  { name: 'origin failing fewer than N times → not down yet', steps: [...healthy, targets(L, ['web']), probe(L + 1, 'web', false), probe(L + 2, 'web', false)], state: 'healthy', codes: [] },
  { name: 'backoff → down, process_restarting', steps: [...healthy, proc(L, 'backoff', 'exit 1')], state: 'down', codes: ['process_restarting', 'no_connections'], messages: { process_restarting: 'the connector ended and a restart is scheduled (last exit: exit 1)' } },
  { name: 'crash loop → down, crash_loop', steps: [...healthy, proc(L, 'backoff', 'exit 1'), proc(L + 1, 'breaker_open', 'exit 1')], state: 'down', codes: ['crash_loop', 'no_connections'], messages: { crash_loop: /keeps crashing.*exit 1/ } },
  { name: 'stopped → inactive', steps: [...healthy, proc(L, 'stopped', 'exit 0')], state: 'inactive', codes: ['process_not_running'], messages: { process_not_running: 'the connector process is stopped (last exit: exit 0)' } },
  { name: 'stopped before anything → inactive', steps: [proc(T, 'stopped')], state: 'inactive', codes: ['process_not_running'] },
  { name: 'registration refused → down, registration_refused', steps: [proc(T, 'running'), version(T + 1), refused(T + 2, 0), retrying(T + 3, 0)], state: 'down', codes: ['no_connections', 'registration_refused'], messages: { registration_refused: 'the edge refused registration: Unauthorized: Invalid tunnel secret' } },
  { name: 'refused over QUIC (no words logged) → registration_refused from the register_fail counter', steps: [...healthy, registerFails(L, 0), ...[0, 1, 2, 3].map((i) => lost(L + 61_000 * (i + 1), i)), registerFails(L + 300_000, 3)], state: 'down', codes: ['no_connections', 'registration_refused'], messages: { registration_refused: /^the edge refused registration: 3 registrations answered with an error \(cloudflared_tunnel_tunnel_register_fail\{error="server_error"\} rose from 0 to 3\); cloudflared does not log the reason over QUIC/ } },
  { name: 'register_fail counted before the last registration is no refusal', steps: [proc(T, 'running'), version(T + 1), registerFails(T + 2, 2), ...[0, 1, 2, 3].map((i) => registered(T + 3 + i, i)), registerFails(T + 10, 2), lost(T + 11, 0), lost(T + 61_000, 1), lost(T + 122_000, 2), lost(T + 183_000, 3), registerFails(T + 184_000, 2)], state: 'down', codes: ['no_connections'] },
  { name: 'logged words win over the counter', steps: [proc(T, 'running'), version(T + 1), registerFails(T + 2, 0), refused(T + 3, 0), registerFails(T + 4, 1)], state: 'down', codes: ['no_connections', 'registration_refused'], messages: { registration_refused: 'the edge refused registration: Unauthorized: Invalid tunnel secret' } },
  { name: 'a later registration clears the refusal', steps: [proc(T, 'running'), refused(T + 2, 0), registered(T + 3, 0)], state: 'degraded', codes: ['connections_missing'] },
  { name: '/ready only: count from /ready', steps: [proc(T, 'attached'), ready(T + 1, 4)], state: 'healthy', codes: [] },
  { name: '/ready only: 2 of 4, slots unknown', steps: [proc(T, 'attached'), ready(T + 1, 2)], state: 'degraded', codes: ['connections_missing'], messages: { connections_missing: '2 of 4 HA connections registered' } },
  { name: '/ready disagrees with events, before the grace', steps: [...healthy, ready(L, 3), tick(L + 9_999)], state: 'healthy', codes: [] },
  { name: '/ready disagrees with events, after the grace', steps: [...healthy, ready(L, 3), tick(L + 10_000)], state: 'healthy', codes: ['ready_disagrees'], messages: { ready_disagrees: '/ready reports 3 registered connections, the log events 4' } },
  { name: 'disagreement that ends within the grace is never reported', steps: [...healthy, ready(L, 3), ready(L + 5_000, 4), tick(L + 20_000)], state: 'healthy', codes: [] },
  { name: 'edge lists fewer connections → edge_disagrees after the grace', steps: [...healthy, edgeOk(L, [{ id: 'c-1', n: 3 }]), tick(L + 10_000)], state: 'healthy', codes: ['edge_disagrees'], messages: { edge_disagrees: 'the edge lists 3 connections of connector c-1, 4 are registered locally' } },
  { name: 'edge does not list this connector → edge_disagrees', steps: [...healthy, edgeOk(L, [{ id: 'c-2', n: 4 }]), tick(L + 10_000)], state: 'healthy', codes: ['edge_disagrees'], messages: { edge_disagrees: 'the edge shows no connection of connector c-1 while 4 are registered locally' } },
  { name: 'edge lists this connector with none local → edge_disagrees, still down', steps: [proc(T, 'running'), connectorIdEvent(T + 1, 'c-1'), edgeOk(T + 2, [{ id: 'c-1', n: 2 }]), tick(T + 20_000)], state: 'down', codes: ['no_connections', 'edge_disagrees'], messages: { edge_disagrees: 'the edge lists connector c-1 with 2 connections while none is registered locally' } },
  { name: 'connections pending reconnect do not count', steps: [...healthy, edgeOk(L, [{ id: 'c-1', n: 4, pending: 2 }]), tick(L + 10_000)], state: 'healthy', codes: [] },
  { name: 'edge unknown → no edge comparison', steps: [...healthy, edgeOk(L, [{ id: 'c-1', n: 1 }]), edgeFail(L + 1), tick(L + 20_000)], state: 'healthy', codes: ['edge_unknown'] },
  { name: '/ready failing while running → connector_unreachable, state unchanged', steps: [...healthy, readyFail(L)], state: 'healthy', codes: ['connector_unreachable'], messages: { connector_unreachable: '/ready poll failing: connect ECONNREFUSED 127.0.0.1:20241' } },
  { name: 'a dead process voids its last /ready', steps: [proc(T, 'attached'), ready(T + 1, 4), proc(T + 2, 'stopped'), proc(T + 3, 'attached')], state: 'down', codes: ['no_connections'] },
  { name: 'a restarted process starts with nothing registered', steps: [...healthy, proc(L, 'backoff', 'exit 1'), registered(L + 1, 0), proc(L + 2, 'running')], state: 'down', codes: ['no_connections'] },
];

describe('HealthModel: scenarios', () => {
  it.each(scenarios)('$name', ({ steps, state, codes: expected, messages, options }) => {
    const s = last(steps, options);
    expect(s.state).toBe(state);
    expect(codes(s)).toEqual(expected);
    for (const [code, text] of Object.entries(messages ?? {})) {
      if (typeof text === 'string') expect(message(s, code as ReasonCode)).toBe(text);
      else expect(message(s, code as ReasonCode)).toMatch(text);
    }
  });
});

describe('HealthModel: time-based reasons', () => {
  it('reports the ha gauge disagreement only once it has lasted the grace', () => {
    const { model } = run([proc(T, 'running'), metrics(T + 5, 1)]);
    expect(model.apply(tick(T + 5 + 9_999)).reasons.map((r) => r.code)).toEqual(['no_connections']);
    const after = model.apply(tick(T + 5 + 10_000));
    expect(after.state).toBe('down');
    expect(codes(after)).toContain('ha_gauge_disagrees');
    expect(after.reasons.find((r) => r.code === 'ha_gauge_disagrees')?.since).toBe(T + 5 + 10_000);
  });

  it('a reconnect storm appears, then clears on a tick once the window has passed', () => {
    const flaps = [0, 1, 2].flatMap((k) => [lost(L + k * 1000, 0), registered(L + k * 1000 + 500, 0)]);
    const { model, snapshots } = run([...healthy, ...flaps]);
    const during = snapshots[snapshots.length - 1] as HealthSnapshot;
    expect(during.state).toBe('healthy');
    expect(message(during, 'reconnect_storm')).toBe('3 connection losses within 60 s');
    expect(codes(model.apply(tick(L + 59_999)))).toEqual(['reconnect_storm']);
    expect(codes(model.apply(tick(L + 60_000)))).toEqual([]);
  });

  it('graceful shutdown losses are not a storm', () => {
    const s = last([...healthy, { kind: 'log', at: L, event: { format: 'json', fields: {}, message: 'Initiating graceful shutdown', type: 'shutdown', phase: 'signal' } }, ...[0, 1, 2, 3].map((i) => lost(L + 1 + i, i))]);
    expect(codes(s)).toEqual(['no_connections']);
  });

  it('keeps a reason’s since while it stays, and updates state since only on a change', () => {
    const { model } = run([proc(T, 'running')]);
    const down = model.snapshot;
    expect(down.since).toBe(T);
    const later = model.apply(tick(T + 5000));
    expect(later.since).toBe(T);
    expect(later.reasons[0]?.since).toBe(T);
    const up = model.apply(registered(T + 6000, 0));
    expect(up.state).toBe('degraded');
    expect(up.since).toBe(T + 6000);
  });
});

describe('HealthModel: views and identity', () => {
  it('shows every view of the connection count', () => {
    const s = last([...healthy, metrics(L, 1, ['lax01', 'lax02', 'sjc01', 'sjc02']), ready(L + 1, 4), edgeOk(L + 2, [{ id: 'c-1', n: 4 }, { id: 'c-2', n: 2 }])]);
    expect(s.views).toEqual({ events: 4, ready: 4, haGauge: 1, edge: 4 });
    expect(s.registeredConnections).toBe(4);
    expect(s.edge).toMatchObject({ status: 'healthy', configured: true, checkedAt: L + 2, connector: { id: 'c-1' } });
    expect(s.edge.connectors).toHaveLength(2);
  });

  it('lists the slots from the log events, sorted', () => {
    const s = last([proc(T, 'running'), registered(T + 3, 2), registered(T + 1, 0), lost(T + 4, 2)]);
    expect(s.connections).toEqual([
      { connIndex: 0, up: true, protocol: 'quic', location: 'lax01', edgeIp: '198.41.200.10', connectionId: '00000000-0000-4000-8000-000000000000', since: T + 3 },
      { connIndex: 2, up: false, protocol: 'quic', location: 'lax03', edgeIp: '198.41.200.12', connectionId: '00000000-0000-4000-8000-000000000002', since: T + 4 },
    ]);
    expect(s.protocol).toBe('quic');
  });

  it('lists the slots from the metrics when there are no log events', () => {
    const s = last([proc(T, 'attached'), ready(T + 1, 2), metrics(T + 2, 2, ['lax01', 'sjc01'])]);
    expect(s.connections).toEqual([
      { connIndex: 0, up: true, location: 'lax01' },
      { connIndex: 1, up: true, location: 'sjc01' },
    ]);
    expect(s.views).toEqual({ ready: 2, haGauge: 2 });
  });

  it('marks every slot down when the process dies', () => {
    const s = last([...healthy, proc(L, 'backoff', 'signal SIGKILL')]);
    expect(s.connections.map((c) => c.up)).toEqual([false, false, false, false]);
    expect(s.connections.every((c) => c.since === L)).toBe(true);
    expect(s.process).toEqual({ phase: 'backoff', pid: 4242, lastExit: 'signal SIGKILL' });
  });

  it('reads ids and version from real cloudflared JSON lines', () => {
    const lines = [
      '{"level":"info","time":"2026-11-27T10:00:00Z","message":"Starting tunnel tunnelID=5f9b2c43-3a9e-4d3c-9c7e-0b7c8f1e2a11"}',
      '{"level":"info","version":"2026.11.0","time":"2026-11-27T10:00:00Z","message":"Version 2026.11.0 (Checksum abc)"}',
      '{"level":"info","time":"2026-11-27T10:00:00Z","message":"Generated Connector ID: 0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9"}',
      '{"level":"info","connIndex":0,"connection":"8a2b7c41-1d2e-4f3a-9b8c-7d6e5f4a3b2c","event":0,"ip":"198.41.200.13","location":"lax01","protocol":"quic","time":"2026-11-27T10:00:00Z","message":"Registered tunnel connection"}',
    ];
    const s = last([proc(T, 'running'), ...lines.map((line, i): Observation => ({ kind: 'log', at: T + i, event: parseLogLine(line) }))]);
    expect(s).toMatchObject({ connectorId: '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9', version: '2026.11.0', state: 'degraded', registeredConnections: 1, protocol: 'quic' });
    expect(s.connections[0]).toMatchObject({ connIndex: 0, location: 'lax01', edgeIp: '198.41.200.13', connectionId: '8a2b7c41-1d2e-4f3a-9b8c-7d6e5f4a3b2c' });
  });

  it('learns the connector id from /ready, and takes one given upfront', () => {
    expect(last([proc(T, 'attached'), ready(T + 1, 4, 'r-1')]).connectorId).toBe('r-1');
    expect(last([tick(T)], { connectorId: 'given' }).connectorId).toBe('given');
    expect(last([proc(T, 'attached'), ready(T + 1, 4, 'r-2')], { connectorId: 'given' }).connectorId).toBe('r-2');
  });

  it('takes the version from build_info when no line gave it', () => {
    const m = { kind: 'metrics', at: T, ok: true, metrics: { process: {}, legacy: [], anomalies: [], buildInfo: { version: '2026.10.1', goVersion: 'go1.24', revision: '', type: '' } } } as const;
    expect(last([m]).version).toBe('2026.10.1');
  });

  it('shows the edge as not configured until an edge observation arrives', () => {
    const s = last(healthy);
    expect(s.edge).toEqual({ status: 'unknown', configured: false, connectors: [] });
    const failed = last([...healthy, edgeFail(L)]);
    expect(failed.edge).toMatchObject({ status: 'unknown', configured: true, error: '429 Too Many Requests', checkedAt: L, connectors: [] });
  });

  it('keeps the origin views in the snapshot', () => {
    const s = last([...healthy, targets(L, ['web']), probe(L + 1, 'web', true)]);
    expect(s.origins).toEqual([{ key: 'web', service: 'http://127.0.0.1:8000', rule: 0, state: 'up', since: L + 1, lastProbeAt: L + 1, lastDurationMs: 3 }]);
  });
});

describe('HealthModel: transitions and values', () => {
  it('records each state change, newest last, bounded', () => {
    const flaps = [0, 1, 2, 3, 4].flatMap((k) => [lost(L + k * 100_000, 3), registered(L + k * 100_000 + 1, 3)]);
    const { model } = run([...healthy, ...flaps], { maxTransitions: 4 });
    const t = model.snapshot.transitions;
    expect(t).toHaveLength(4);
    expect(t[t.length - 1]).toEqual({ at: L + 400_001, from: 'degraded', to: 'healthy', reasons: [] });
    expect(t[t.length - 2]).toEqual({ at: L + 400_000, from: 'healthy', to: 'degraded', reasons: ['connections_missing'] });
  });

  it('returns a new snapshot per apply and never changes an old one', () => {
    const { model } = run(healthy);
    const before = model.snapshot;
    const copy = structuredClone(before);
    const after = model.apply(lost(L, 0));
    expect(after).not.toBe(before);
    expect(before).toEqual(copy);
    expect(after.state).toBe('degraded');
  });

  it('never lets its clock go back', () => {
    const { model } = run(healthy);
    const s = model.apply(lost(T, 0));
    expect(s.at).toBe(T + 4000);
    expect(s.since).toBe(T + 4000);
  });

  it('builds its options from the settings', () => {
    const settings = settingsSchema.parse({ cloudflared: { haConnections: 2, pollInterval: '3s' }, origins: { failuresToDown: 4, successesToUp: 1 } });
    expect(healthOptions(settings)).toEqual({
      expectedConnections: 2,
      failuresToDown: 4,
      successesToUp: 1,
      disagreementGraceMs: 6000,
      stormWindowMs: 60_000,
      stormMinDisconnects: 3,
      maxTransitions: 50,
    });
  });

  it('refuses options it cannot work with, naming the setting', () => {
    expect(() => new HealthModel({ ...OPTIONS, expectedConnections: 0 }, T0)).toThrow(/expectedConnections is 0.*cloudflared\.haConnections/);
    expect(() => new HealthModel({ ...OPTIONS, maxTransitions: 0 }, T0)).toThrow(/maxTransitions/);
  });

  it('holds its invariants over any sequence of observations', () => {
    fc.assert(
      fc.property(observationsFrom(T), fc.integer({ min: 1, max: 5 }), (observations, max) => {
        const model = new HealthModel({ ...OPTIONS, expectedConnections: 2, maxTransitions: max }, T0);
        let previous = model.snapshot;
        for (const o of observations) {
          const s = model.apply(o);
          expect(s).not.toBe(previous);
          expect(CONNECTOR_STATES).toContain(s.state);
          expect(s.transitions.length).toBeLessThanOrEqual(max);
          expect(s.since).toBeLessThanOrEqual(s.at);
          expect(s.at).toBeGreaterThanOrEqual(previous.at);
          expect(new Set(codes(s)).size).toBe(s.reasons.length);
          for (const r of s.reasons) {
            expect(REASON_CODES).toContain(r.code);
            expect(r.since).toBeLessThanOrEqual(s.at);
          }
          if (s.state !== previous.state) {
            expect(s.transitions[s.transitions.length - 1]).toMatchObject({ at: s.at, from: previous.state, to: s.state });
            expect(TRANSITION_TABLE[previous.state][s.state].possible).toBe(true);
          }
          expect(s.registeredConnections > 0).toBe(s.state === 'healthy' || s.state === 'degraded');
          previous = s;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('HealthModel: a collector run folded in at once', () => {
  const keys = ['a', 'b', 'c'];
  const round = (at: number, ok: boolean): Observation[] => keys.map((key) => probe(at, key, ok));
  const runs = [round(T + 1, true), round(T + 2, false), round(T + 3, false), round(T + 4, false)];

  it('ends where folding the results one by one ends', () => {
    const { model: one } = run([proc(T, 'running'), targets(T, keys), ...runs.flat()]);
    const batched = new HealthModel(OPTIONS, T0);
    batched.applyAll([proc(T, 'running'), targets(T, keys)]);
    for (const r of runs) batched.applyAll(r);
    expect(batched.snapshot.origins).toEqual(one.snapshot.origins);
    expect(batched.snapshot.reasons).toEqual(one.snapshot.reasons);
    expect(batched.snapshot.state).toBe(one.snapshot.state);
    expect(batched.snapshot.at).toBe(T + 4);
  });

  it('keeps the origin views while no origin changed, so a log line costs no comparison of them', () => {
    const { model } = run([proc(T, 'running'), targets(T, keys), ...runs.flat()]);
    const views = model.snapshot.origins;
    model.apply(retrying(T + 5, 0));
    expect(model.snapshot.origins).toBe(views);
    model.apply(probe(T + 6, 'a', true));
    expect(model.snapshot.origins).not.toBe(views);
  });
});
