import { describe, expect, it } from 'vitest';
import { BUILTIN_ALERTS, runbookUrl } from '../src/alerts/catalogue.js';
import { effectiveRules } from '../src/alerts/overrides.js';
import { CONDITIONS, type AlertInputs, type Labels } from '../src/alerts/rules.js';
import { renderTemplate } from '../src/alerts/annotations.js';
import { ALERT_NAMES } from '../src/config/schema.js';
import { NOW, TUNNEL_ID } from './helpers/health-snapshots.js';
import { REPLICA, calmInputs, calmSnapshot, downInputs } from './helpers/alert-inputs.js';

const DAY = 86_400_000;
const me = { tunnel_id: TUNNEL_ID, replica: REPLICA };

describe('catalogue', () => {
  it('defines every alert name, the certificate alert twice (warning 14 d, critical 3 d)', () => {
    expect(new Set(BUILTIN_ALERTS.map((d) => d.alert))).toEqual(new Set(ALERT_NAMES));
    const certs = BUILTIN_ALERTS.filter((d) => d.alert === 'TunnelOriginCertificateExpiring').map((d) => [d.severity, d.threshold]);
    expect(certs).toEqual([
      ['warning', 14],
      ['critical', 3],
    ]);
  });

  it('has the durations and severities issue 6 asks for', () => {
    const get = (name: string) => BUILTIN_ALERTS.find((d) => d.alert === name);
    expect(get('TunnelConnectorUnhealthy')).toMatchObject({ severity: 'critical', forMs: 300_000 });
    expect(get('TunnelConnectorDegraded')).toMatchObject({ severity: 'warning', forMs: 600_000 });
    expect(get('TunnelConnectorCrashLooping')).toMatchObject({ severity: 'critical' });
    expect(get('TunnelHALost')).toMatchObject({ severity: 'critical', labels: ['tunnel_id'] });
    expect(get('TunnelReplicasSameZone')).toMatchObject({ engine: 'prometheus', labels: ['tunnel_id', 'zone'] });
    expect(get('TunnelOriginUnreachable')).toMatchObject({ forMs: 120_000, labels: ['tunnel_id', 'replica', 'origin'] });
    expect(get('TunnelProtocolFallback')).toMatchObject({ forMs: 1_800_000 });
    expect(get('Watchdog')).toMatchObject({ severity: 'info', forMs: 0, labels: [] });
  });

  it('uses only {{ $labels.<name> }} of its own labels in annotations', () => {
    for (const d of BUILTIN_ALERTS) {
      for (const text of [d.summary, d.description]) {
        const refs = [...text.matchAll(/\{\{(.*?)\}\}/g)].map((m) => m[1]?.trim());
        for (const ref of refs) expect(d.labels.map((l) => `$labels.${l}`), `${d.alert}: ${text}`).toContain(ref);
      }
    }
  });

  it('has a condition for every alert the built-in engine evaluates, none for Prometheus-only ones', () => {
    for (const d of BUILTIN_ALERTS) expect(CONDITIONS[d.alert] !== undefined, d.alert).toBe(d.engine === 'both');
  });

  it('renders templates and runbook URLs', () => {
    expect(renderTemplate('Tunnel {{ $labels.tunnel_id }} / {{$labels.replica}} / {{ $labels.absent }}.', me)).toBe(`Tunnel ${TUNNEL_ID} / ${REPLICA} / .`);
    expect(runbookUrl('TunnelHALost', 'https://x.example/runbooks')).toBe('https://x.example/runbooks/TunnelHALost.md');
    expect(runbookUrl('TunnelHALost', 'https://x.example/runbooks/')).toBe('https://x.example/runbooks/TunnelHALost.md');
  });
});

describe('overrides', () => {
  it('select a certificate twin by severity, or change both without one', () => {
    const rules = effectiveRules([
      { alert: 'TunnelOriginCertificateExpiring', enabled: true, severity: 'critical', threshold: 5 },
      { alert: 'TunnelOriginCertificateExpiring', enabled: true, for: 1000 },
    ]);
    const certs = rules.filter((r) => r.definition.alert === 'TunnelOriginCertificateExpiring').map((r) => [r.severity, r.threshold, r.forMs]);
    expect(certs).toEqual([
      ['warning', 14, 1000],
      ['critical', 5, 1000],
    ]);
  });

  it('apply in order, a later entry winning', () => {
    const [rule] = effectiveRules([
      { alert: 'TunnelConnectorUnhealthy', enabled: false, for: 1000 },
      { alert: 'TunnelConnectorUnhealthy', enabled: true, keepFiringFor: 0, severity: 'warning' },
    ]).filter((r) => r.definition.alert === 'TunnelConnectorUnhealthy');
    expect(rule).toMatchObject({ enabled: true, forMs: 1000, keepFiringForMs: 0, severity: 'warning' });
  });
});

/** Each built-in condition: inputs that make it hold, and the label sets it then yields. */
const CASES: { alert: keyof typeof CONDITIONS; inputs: () => AlertInputs; threshold?: number; dropped?: number; labels: Labels[] }[] = [
  { alert: 'TunnelConnectorUnhealthy', inputs: downInputs, labels: [me] },
  {
    alert: 'TunnelConnectorDegraded',
    inputs: () => calmInputs({ ...calmSnapshot(), state: 'degraded', registeredConnections: 2 }),
    labels: [me],
  },
  {
    alert: 'TunnelConnectorCrashLooping',
    threshold: 3,
    inputs: () => ({ ...calmInputs(), restarts: { recentTimestamps: [NOW - 11 * 60_000, NOW - 4000, NOW - 3000, NOW - 2000, NOW - 1000] } }),
    labels: [me],
  },
  { alert: 'TunnelConnectorCrashLooping', threshold: 3, inputs: () => ({ ...calmInputs(), breakerOpen: true }), labels: [me] },
  {
    alert: 'TunnelHALost',
    threshold: 2,
    inputs: () => {
      const s = calmSnapshot();
      const [mine, other] = s.edge.connectors;
      if (!mine || !other) throw new Error('fixture has two connectors');
      return calmInputs({ ...s, edge: { ...s.edge, connectors: [mine, { ...other, connections: other.connections.map((c) => ({ ...c, pendingReconnect: true })) }] } });
    },
    labels: [{ tunnel_id: TUNNEL_ID }],
  },
  {
    alert: 'TunnelOriginUnreachable',
    inputs: () => {
      const s = calmSnapshot();
      return calmInputs({ ...s, origins: s.origins.map((o, i) => (i === 1 ? { ...o, state: 'down' as const } : o)) });
    },
    labels: [{ ...me, origin: 'rule1:http://api:9000' }],
  },
  {
    alert: 'TunnelOriginCertificateExpiring',
    threshold: 14,
    inputs: () => ({ ...calmInputs(), certificates: new Map([['rule0:https://a', NOW + 13 * DAY], ['rule1:https://b', NOW + 15 * DAY]]) }),
    labels: [{ ...me, origin: 'rule0:https://a' }],
  },
  {
    alert: 'TunnelProtocolFallback',
    inputs: () => {
      const s = calmSnapshot();
      return calmInputs({ ...s, protocol: 'http2', connections: s.connections.map((c) => ({ ...c, protocol: undefined })) });
    },
    labels: [me],
  },
  {
    alert: 'TunnelReconnectStorm',
    inputs: () => calmInputs({ ...calmSnapshot(), reasons: [{ code: 'reconnect_storm', message: '9 connection losses within 60 s', since: NOW }] }),
    labels: [me],
  },
  {
    alert: 'TunnelConnectorVersionSkew',
    inputs: () => {
      const s = calmSnapshot();
      return calmInputs({ ...s, edge: { ...s.edge, connectors: s.edge.connectors.map((c, i) => ({ ...c, version: i === 0 ? '2026.8.2' : '2026.7.3' })) } });
    },
    labels: [{ tunnel_id: TUNNEL_ID }],
  },
  {
    alert: 'TunnelEdgeAPIUnavailable',
    inputs: () => calmInputs({ ...calmSnapshot(), edge: { status: 'unknown', configured: true, error: 'fetch failed', connectors: [] } }),
    labels: [me],
  },
  { alert: 'TunnelLogShippingBehind', threshold: 300, inputs: () => ({ ...calmInputs(), spool: { oldestAgeSeconds: 301, dropped: 0 } }), labels: [me] },
  { alert: 'TunnelLogShippingBehind', threshold: 300, dropped: 1, inputs: calmInputs, labels: [me] },
  { alert: 'TunnelEndToEndFailing', inputs: () => ({ ...calmInputs(), endToEnd: [{ url: 'https://app.example.com/healthz', served: false }, { url: 'https://api.example.com/', served: true }] }), labels: [{ ...me, url: 'https://app.example.com/healthz' }] },
  { alert: 'TunnelConfigInsecure', inputs: () => ({ ...calmInputs(), configFindings: ['ingress rule 0: originRequest.noTLSVerify is true'] }), labels: [me] },
  { alert: 'Watchdog', inputs: calmInputs, labels: [{}] },
];

describe('conditions', () => {
  for (const c of CASES) {
    it(`${c.alert} holds with the definition's labels`, () => {
      const condition = CONDITIONS[c.alert];
      if (!condition) throw new Error(`no condition for ${c.alert}`);
      const held = condition({ inputs: c.inputs(), now: NOW, threshold: c.threshold, droppedInWindow: c.dropped ?? 0 });
      expect(held).toEqual(c.labels);
      const names = BUILTIN_ALERTS.find((d) => d.alert === c.alert)?.labels;
      for (const labels of held) expect(Object.keys(labels)).toEqual(names);
      if (c.alert !== 'Watchdog') expect(condition({ inputs: calmInputs(), now: NOW, threshold: c.threshold, droppedInWindow: 0 }), 'calm inputs').toEqual([]);
    });
  }

  it('TunnelConnectorDegraded leaves a connector with no connection to TunnelConnectorUnhealthy', () => {
    expect(CONDITIONS.TunnelConnectorDegraded?.({ inputs: downInputs(), now: NOW, threshold: undefined, droppedInWindow: 0 })).toEqual([]);
  });

  it('edge alerts stay quiet while the edge view is unknown or not configured', () => {
    const unknown = calmInputs({ ...calmSnapshot(), edge: { status: 'unknown', configured: false, connectors: [] } });
    for (const alert of ['TunnelHALost', 'TunnelConnectorVersionSkew', 'TunnelEdgeAPIUnavailable'] as const) {
      expect(CONDITIONS[alert]?.({ inputs: unknown, now: NOW, threshold: 2, droppedInWindow: 0 }), alert).toEqual([]);
    }
  });
});
