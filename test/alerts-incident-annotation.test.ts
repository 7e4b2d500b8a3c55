import { describe, expect, it } from 'vitest';
import { AlertmanagerClient } from '../src/alerts/alertmanager.js';
import { BUILTIN_ALERTS } from '../src/alerts/catalogue.js';
import { AlertEngine, INCIDENT_ANNOTATION_MS, type AlertInstance } from '../src/alerts/engine.js';
import { effectiveRules, type RuleOverride } from '../src/alerts/overrides.js';
import type { AlertInputs } from '../src/alerts/rules.js';
import { NOW } from './helpers/health-snapshots.js';
import { downInputs } from './helpers/alert-inputs.js';

const S = 1000;
const MIN = 60 * S;
const BUNDLE = '/var/lib/tunnelwatch/spool/incidents/incident-20261127T120000000Z-down.json';
const NEWER = '/var/lib/tunnelwatch/spool/incidents/incident-20261127T121000000Z-on_demand.json';

// Fire at the first evaluation, so one evaluation shows every alert the inputs raise.
const NOW_RULES: RuleOverride[] = BUILTIN_ALERTS.map((d) => ({ alert: d.alert, enabled: true, for: 0, keepFiringFor: 0 }));

const engine = (): AlertEngine => new AlertEngine({ rules: effectiveRules(NOW_RULES), runbookBaseUrl: 'https://runbooks.example/docs/', log: () => undefined });

/**
 * The connector down on this replica, an origin down, and the edge listing a single live connector for the tunnel:
 * alerts with a `replica` label (TunnelConnectorUnhealthy, TunnelOriginUnreachable) and without (TunnelHALost,
 * Watchdog) all fire.
 */
function inputs(incident?: AlertInputs['incident']): AlertInputs {
  const base = downInputs();
  const s = base.snapshot;
  return {
    ...base,
    snapshot: {
      ...s,
      origins: s.origins.map((o, i) => (i === 0 ? { ...o, state: 'down' as const, reason: 'connect ECONNREFUSED' } : o)),
      edge: { ...s.edge, status: 'degraded', connectors: s.edge.connectors.slice(0, 1) },
    },
    ...(incident === undefined ? {} : { incident }),
  };
}

const byName = (instances: readonly AlertInstance[]): Map<string, AlertInstance> => new Map(instances.map((i) => [i.alertname, i]));

describe('the incident annotation', () => {
  it('goes on the alerts about this replica, not on those about the tunnel or none', () => {
    const fired = byName(engine().evaluate(inputs({ path: BUNDLE, at: NOW }), NOW));
    expect([...fired.keys()].sort()).toEqual(['TunnelConnectorUnhealthy', 'TunnelHALost', 'TunnelOriginUnreachable', 'Watchdog']);
    expect(fired.get('TunnelConnectorUnhealthy')?.annotations.incident).toBe(BUNDLE);
    expect(fired.get('TunnelOriginUnreachable')?.annotations.incident).toBe(BUNDLE);
    expect(fired.get('TunnelHALost')?.annotations).not.toHaveProperty('incident');
    expect(fired.get('Watchdog')?.annotations).not.toHaveProperty('incident');
  });

  it('follows the `replica` label of each firing alert definition', () => {
    const fired = engine().evaluate(inputs({ path: BUNDLE, at: NOW }), NOW);
    for (const i of fired) {
      const definition = BUILTIN_ALERTS.find((d) => d.alert === i.alertname);
      expect(i.annotations.incident, i.alertname).toBe(definition?.labels.includes('replica') === true ? BUNDLE : undefined);
    }
  });

  it('is on the firing alerts (FiringAlert.incident) too', () => {
    const e = engine();
    e.evaluate(inputs({ path: BUNDLE, at: NOW }), NOW);
    const firing = new Map(e.firing().map((f) => [f.alertname, f]));
    expect(firing.get('TunnelConnectorUnhealthy')?.incident).toBe(BUNDLE);
    expect(firing.get('TunnelOriginUnreachable')?.incident).toBe(BUNDLE);
    expect(firing.get('TunnelHALost')).not.toHaveProperty('incident');
    expect(firing.get('Watchdog')).not.toHaveProperty('incident');
  });

  it('is absent while no bundle was written', () => {
    const e = engine();
    for (const i of e.evaluate(inputs(), NOW)) expect(i.annotations, i.alertname).not.toHaveProperty('incident');
    for (const f of e.firing()) expect(f, f.alertname).not.toHaveProperty('incident');
  });

  it('appears on an alert already firing once a bundle is written, and follows the newest one', () => {
    const e = engine();
    e.evaluate(inputs(), NOW);
    expect(byName(e.evaluate(inputs({ path: BUNDLE, at: NOW + S }), NOW + S)).get('TunnelConnectorUnhealthy')?.annotations.incident).toBe(BUNDLE);
    const later = byName(e.evaluate(inputs({ path: NEWER, at: NOW + 2 * S }), NOW + 2 * S)).get('TunnelConnectorUnhealthy');
    expect(later?.annotations.incident).toBe(NEWER);
    // The same incident (startsAt unchanged), only its annotation moved.
    expect(later?.firedAt).toBe(NOW);
  });

  it('is given while the bundle is younger than an hour at evaluation, and no longer after', () => {
    expect(INCIDENT_ANNOTATION_MS).toBe(60 * MIN);
    const e = engine();
    const bundle = { path: BUNDLE, at: NOW };
    e.evaluate(inputs(bundle), NOW);
    const at59 = byName(e.evaluate(inputs(bundle), NOW + 59 * MIN)).get('TunnelConnectorUnhealthy');
    expect(at59?.annotations.incident).toBe(BUNDLE);
    expect(e.firing().find((f) => f.alertname === 'TunnelConnectorUnhealthy')?.incident).toBe(BUNDLE);

    // An hour on, the bundle is about another moment than the one the alert is about now: the alert stays, the path goes.
    const at61 = byName(e.evaluate(inputs(bundle), NOW + 61 * MIN)).get('TunnelConnectorUnhealthy');
    expect(at61?.state).toBe('firing');
    expect(at61?.firedAt).toBe(NOW);
    expect(at61?.annotations).not.toHaveProperty('incident');
    expect(e.firing().find((f) => f.alertname === 'TunnelConnectorUnhealthy')).not.toHaveProperty('incident');
    expect(byName(e.evaluate(inputs(bundle), NOW + 61 * MIN)).get('TunnelOriginUnreachable')?.annotations).not.toHaveProperty('incident');
  });

  it('counts the hour from when the bundle was written, not from when the alert fired', () => {
    const e = engine();
    e.evaluate(inputs(), NOW);
    // A newer bundle on an alert firing for two hours is named.
    const bundle = { path: NEWER, at: NOW + 2 * 60 * MIN };
    expect(byName(e.evaluate(inputs(bundle), NOW + 2 * 60 * MIN + 30 * MIN)).get('TunnelConnectorUnhealthy')?.annotations.incident).toBe(NEWER);
    // Exactly an hour old is no longer younger than an hour.
    expect(byName(e.evaluate(inputs(bundle), NOW + 3 * 60 * MIN)).get('TunnelConnectorUnhealthy')?.annotations).not.toHaveProperty('incident');
  });

  it('reaches Alertmanager as an annotation', () => {
    const e = engine();
    const client = new AlertmanagerClient({ urls: [], resendIntervalMs: 60 * S, evaluationIntervalMs: S, generatorUrl: 'http://tw-0:9464/status', log: () => undefined });
    const body = client.body(e.evaluate(inputs({ path: BUNDLE, at: NOW }), NOW), NOW);
    const unhealthy = body.find((a) => a.labels.alertname === 'TunnelConnectorUnhealthy');
    expect(unhealthy?.annotations.incident).toBe(BUNDLE);
    expect(body.find((a) => a.labels.alertname === 'TunnelHALost')?.annotations).not.toHaveProperty('incident');
  });
});
