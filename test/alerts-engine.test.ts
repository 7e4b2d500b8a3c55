import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AlertEngine, type AlertInstance, type LogFn } from '../src/alerts/engine.js';
import { effectiveRules, type RuleOverride } from '../src/alerts/overrides.js';
import { RESOLVED_RETENTION_MS } from '../src/alerts/catalogue.js';
import type { AlertInputs } from '../src/alerts/rules.js';
import { CAUSES, type Diagnosis } from '../src/diagnosis/index.js';
import { NOW, TUNNEL_ID } from './helpers/health-snapshots.js';
import { REPLICA, calmInputs, downInputs } from './helpers/alert-inputs.js';

const S = 1000;
const MIN = 60 * S;

const spans = new InMemorySpanExporter();
beforeAll(() => {
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
});
afterAll(() => {
  trace.disable();
});

function engine(overrides: RuleOverride[] = []): { engine: AlertEngine; logs: { level: string; fields: Record<string, unknown>; msg: string }[] } {
  const logs: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const log: LogFn = (level, fields, msg) => logs.push({ level, fields, msg });
  return { engine: new AlertEngine({ rules: effectiveRules(overrides), runbookBaseUrl: 'https://runbooks.example/docs/', log }), logs };
}

const only = (instances: readonly AlertInstance[], name: string): AlertInstance[] => instances.filter((i) => i.alertname === name);

/** Steps of a timeline: at offset `t` from NOW the connector is `down` or not; `expect` is Unhealthy's state then. */
interface Step { t: number; down: boolean; expect: 'inactive' | 'pending' | 'firing' | 'resolved'; firedAt?: number }

const TIMELINES: { name: string; overrides?: RuleOverride[]; steps: Step[] }[] = [
  {
    name: 'fires after exactly `for` (5m), not 1 ms before',
    steps: [
      { t: 0, down: true, expect: 'pending' },
      { t: 5 * MIN - 1, down: true, expect: 'pending' },
      { t: 5 * MIN, down: true, expect: 'firing', firedAt: 5 * MIN },
    ],
  },
  {
    name: 'resolves after keep_firing_for (2m), not 1 ms before',
    steps: [
      { t: 0, down: true, expect: 'pending' },
      { t: 5 * MIN, down: true, expect: 'firing' },
      { t: 6 * MIN, down: false, expect: 'firing' },
      { t: 8 * MIN - 1, down: false, expect: 'firing' },
      { t: 8 * MIN, down: false, expect: 'resolved' },
      { t: 8 * MIN + RESOLVED_RETENTION_MS - 1, down: false, expect: 'resolved' },
      { t: 8 * MIN + RESOLVED_RETENTION_MS, down: false, expect: 'inactive' },
    ],
  },
  {
    name: 'a single flap shorter than `for` never fires; the next incident starts its own `for`',
    steps: [
      { t: 0, down: true, expect: 'pending' },
      { t: 4 * MIN, down: false, expect: 'inactive' },
      { t: 5 * MIN, down: true, expect: 'pending' },
      { t: 10 * MIN - 1, down: true, expect: 'pending' },
      { t: 10 * MIN, down: true, expect: 'firing', firedAt: 10 * MIN },
    ],
  },
  {
    name: 'a flap inside keep_firing_for keeps the same incident (startsAt unchanged)',
    steps: [
      { t: 0, down: true, expect: 'pending' },
      { t: 5 * MIN, down: true, expect: 'firing', firedAt: 5 * MIN },
      { t: 6 * MIN, down: false, expect: 'firing', firedAt: 5 * MIN },
      { t: 7 * MIN, down: true, expect: 'firing', firedAt: 5 * MIN },
      // The keep-firing clock restarted at the second clear.
      { t: 8 * MIN, down: false, expect: 'firing', firedAt: 5 * MIN },
      { t: 10 * MIN - 1, down: false, expect: 'firing', firedAt: 5 * MIN },
      { t: 10 * MIN, down: false, expect: 'resolved' },
    ],
  },
  {
    name: 'overrides from settings: for 1s, keep_firing_for 0',
    overrides: [{ alert: 'TunnelConnectorUnhealthy', enabled: true, for: 1 * S, keepFiringFor: 0 }],
    steps: [
      { t: 0, down: true, expect: 'pending' },
      { t: 999, down: true, expect: 'pending' },
      { t: 1 * S, down: true, expect: 'firing' },
      { t: 2 * S, down: false, expect: 'resolved' },
    ],
  },
  {
    name: 'a disabled alert never fires',
    overrides: [{ alert: 'TunnelConnectorUnhealthy', enabled: false }],
    steps: [
      { t: 0, down: true, expect: 'inactive' },
      { t: 60 * MIN, down: true, expect: 'inactive' },
    ],
  },
];

describe('alert lifecycle (fake clock)', () => {
  for (const tl of TIMELINES) {
    it(tl.name, () => {
      const { engine: e } = engine(tl.overrides);
      for (const step of tl.steps) {
        const [instance, ...rest] = only(e.evaluate(step.down ? downInputs() : calmInputs(), NOW + step.t), 'TunnelConnectorUnhealthy');
        expect(rest, `at +${step.t} ms`).toEqual([]);
        expect(instance?.state ?? 'inactive', `at +${step.t} ms`).toBe(step.expect);
        if (step.firedAt !== undefined) expect(instance?.firedAt).toBe(NOW + step.firedAt);
      }
    });
  }

  it('carries cluster and namespace (identity.labels) on per-replica alerts, as the Prometheus rules do, and not on tunnel-wide ones', () => {
    const { engine: e } = engine([{ alert: 'TunnelConnectorUnhealthy', enabled: true, for: 0 }, { alert: 'TunnelHALost', enabled: true, for: 0 }]);
    const down = downInputs();
    const inputs: AlertInputs = { ...down, identity: { ...down.identity, cluster: 'eu-1', namespace: 'edge' }, snapshot: { ...down.snapshot, edge: { ...down.snapshot.edge, connectors: [] } } };
    const [unhealthy] = only(e.evaluate(inputs, NOW), 'TunnelConnectorUnhealthy');
    expect(unhealthy?.labels).toEqual({ alertname: 'TunnelConnectorUnhealthy', severity: 'critical', cluster: 'eu-1', namespace: 'edge', tunnel_id: TUNNEL_ID, replica: REPLICA });
    const [haLost] = only(e.evaluate(inputs, NOW), 'TunnelHALost');
    expect(haLost?.labels).toEqual({ alertname: 'TunnelHALost', severity: 'critical', tunnel_id: TUNNEL_ID });
  });

  it('applies a severity override and carries labels and annotations', () => {
    const { engine: e } = engine([{ alert: 'TunnelConnectorUnhealthy', enabled: true, severity: 'warning', for: 0 }]);
    const [i] = only(e.evaluate(downInputs(), NOW), 'TunnelConnectorUnhealthy');
    expect(i?.labels).toEqual({ alertname: 'TunnelConnectorUnhealthy', severity: 'warning', tunnel_id: TUNNEL_ID, replica: REPLICA });
    expect(i?.annotations).toEqual({
      summary: `Connector of tunnel ${TUNNEL_ID} on replica ${REPLICA} has no registered connection`,
      description: expect.stringContaining('no connection registered') as string,
      runbook_url: 'https://runbooks.example/docs/TunnelConnectorUnhealthy.md',
    });
    expect(e.firing().map((f) => [f.alertname, f.severity])).toContainEqual(['TunnelConnectorUnhealthy', 'warning']);
  });

  it('carries the diagnosed cause and its fix, updated while the alert holds', () => {
    const { engine: e } = engine([{ alert: 'TunnelConnectorUnhealthy', enabled: true, for: 0 }]);
    const [before] = only(e.evaluate(downInputs(), NOW), 'TunnelConnectorUnhealthy');
    expect(before?.annotations.cause).toBeUndefined();
    const rejected: Diagnosis = {
      cause: 'credentials_rejected',
      domain: 'credentials',
      title: CAUSES.credentials_rejected.title,
      confidence: 'high',
      since: NOW,
      evidence: [{ source: 'log', at: NOW, text: 'Register tunnel error from server side: Unauthorized: Invalid tunnel secret' }],
      remediation: CAUSES.credentials_rejected.remediation,
      runbook: 'https://runbooks.example/docs/causes.md#credentials_rejected',
    };
    const [after] = only(e.evaluate({ ...downInputs(), diagnosis: [rejected] }, NOW + S), 'TunnelConnectorUnhealthy');
    expect(after?.annotations.cause).toBe('The edge rejects the tunnel credentials (Register tunnel error from server side: Unauthorized: Invalid tunnel secret)');
    expect(after?.annotations.remediation).toBe(`${CAUSES.credentials_rejected.remediation} See https://runbooks.example/docs/causes.md#credentials_rejected`);
    const [watchdog] = only(e.evaluate({ ...downInputs(), diagnosis: [rejected] }, NOW + 2 * S), 'Watchdog');
    expect(watchdog?.annotations.cause).toBeUndefined();
  });

  it('logs every transition and records a span for it', () => {
    spans.reset();
    const { engine: e, logs } = engine([{ alert: 'TunnelConnectorUnhealthy', enabled: true, for: 10 * S, keepFiringFor: 0 }]);
    e.evaluate(downInputs(), NOW);
    e.evaluate(downInputs(), NOW + 10 * S);
    e.evaluate(calmInputs(), NOW + 20 * S);
    const mine = logs.filter((l) => l.fields.alertname === 'TunnelConnectorUnhealthy');
    expect(mine.map((l) => [l.level, l.fields.from, l.fields.to])).toEqual([
      ['info', 'inactive', 'pending'],
      ['warn', 'pending', 'firing'],
      ['info', 'firing', 'resolved'],
    ]);
    const transitions = spans.getFinishedSpans().filter((s) => s.name === 'alert transition' && s.attributes['alert.name'] === 'TunnelConnectorUnhealthy');
    expect(transitions.map((s) => [s.attributes['alert.from'], s.attributes['alert.to'], s.attributes['alert.label.replica']])).toEqual([
      ['inactive', 'pending', REPLICA],
      ['pending', 'firing', REPLICA],
      ['firing', 'resolved', REPLICA],
    ]);
  });

  it('Watchdog fires at the first evaluation, without labels', () => {
    const { engine: e, logs } = engine();
    const [w] = only(e.evaluate(calmInputs(), NOW), 'Watchdog');
    expect(w).toMatchObject({ state: 'firing', firedAt: NOW, labels: { alertname: 'Watchdog', severity: 'info' } });
    expect(logs.filter((l) => l.fields.alertname === 'Watchdog').map((l) => l.fields.to)).toEqual(['pending', 'firing']);
  });

  it('only Watchdog fires for calm inputs', () => {
    const { engine: e } = engine();
    expect(e.evaluate(calmInputs(), NOW).map((i) => i.alertname)).toEqual(['Watchdog']);
  });

  it('counts dropped log records within the last 10 minutes only', () => {
    const { engine: e } = engine([{ alert: 'TunnelLogShippingBehind', enabled: true, for: 0, keepFiringFor: 0 }]);
    const at = (dropped: number): AlertInputs => ({ ...calmInputs(), spool: { oldestAgeSeconds: 0, dropped } });
    const state = (dropped: number, t: number): string => only(e.evaluate(at(dropped), NOW + t), 'TunnelLogShippingBehind')[0]?.state ?? 'inactive';
    expect(state(0, 0)).toBe('inactive');
    expect(state(3, MIN)).toBe('firing');
    expect(state(3, 11 * MIN - 1)).toBe('firing');
    expect(state(3, 11 * MIN)).toBe('resolved');
    expect(state(4, 12 * MIN)).toBe('firing');
  });

  it('lists pending alerts with when they fire (activeAt plus the configured `for`), and not once they fire', () => {
    const { engine: e } = engine([{ alert: 'TunnelConnectorUnhealthy', enabled: true, for: 3 * MIN }]);
    e.evaluate(downInputs(), NOW);
    e.evaluate(downInputs(), NOW + MIN);
    expect(e.pending()).toEqual([
      {
        alertname: 'TunnelConnectorUnhealthy',
        severity: 'critical',
        labels: { alertname: 'TunnelConnectorUnhealthy', severity: 'critical', tunnel_id: TUNNEL_ID, replica: REPLICA },
        summary: `Connector of tunnel ${TUNNEL_ID} on replica ${REPLICA} has no registered connection`,
        runbookUrl: 'https://runbooks.example/docs/TunnelConnectorUnhealthy.md',
        activeAt: NOW,
        firesAt: NOW + 3 * MIN,
      },
    ]);
    e.evaluate(downInputs(), NOW + 3 * MIN);
    expect(e.pending()).toEqual([]);
  });
});
