import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { PendingAlert } from '../src/alerts/index.js';
import { CAUSES, type Diagnosis } from '../src/diagnosis/index.js';
import { buildServer } from '../src/server/app.js';
import { renderStatusPage } from '../src/server/page/index.js';
import { withIsoTimes } from '../src/server/routes/iso-times.js';
import { NOW, TUNNEL_ID, downSnapshot, fixtureRegistry, healthySnapshot } from './helpers/health-snapshots.js';

const MIN = 60_000;
/** The page's text with tags removed and whitespace collapsed. */
const text = (html: string): string => html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

const pending: PendingAlert = {
  alertname: 'TunnelOriginUnreachable',
  severity: 'warning',
  labels: { alertname: 'TunnelOriginUnreachable', severity: 'warning', origin: 'rule1:http://api:9000' },
  summary: 'Origin rule1:http://api:9000 is unreachable',
  runbookUrl: 'https://runbooks.example/TunnelOriginUnreachable.md',
  activeAt: NOW - 20_000,
  firesAt: NOW + 100_000,
};

const refused: Diagnosis = {
  cause: 'origin_refused',
  domain: 'origin',
  title: CAUSES.origin_refused.title,
  confidence: 'high',
  since: NOW - 3 * MIN,
  evidence: [{ source: 'probe', at: NOW - 4000, text: 'api.example.com -> http://api:9000: connect ECONNREFUSED 10.0.0.7:9000' }],
  remediation: CAUSES.origin_refused.remediation,
  runbook: 'https://runbooks.example/causes.md#origin_refused',
};

const single: Diagnosis = { ...refused, cause: 'single_replica', domain: 'ha', title: CAUSES.single_replica.title, evidence: [], remediation: CAUSES.single_replica.remediation, runbook: 'https://runbooks.example/causes.md#single_replica' };

describe('status page: the top', () => {
  it('names the replica, zone and tunnel first, and the connector and service states side by side', () => {
    const html = renderStatusPage(healthySnapshot(), NOW, { identity: { replica: 'tunnelwatch-0', zone: 'eu-west-1a', tunnelId: TUNNEL_ID } });
    const page = text(html);
    expect(page.indexOf('replica tunnelwatch-0 zone eu-west-1a tunnel c1744f8b-faa1-48a4-9e5c-02ac921467fa')).toBeLessThan(page.indexOf('Why'));
    expect(html).toContain('connector <span class="badge big b-healthy">healthy</span>');
    expect(html).toContain('service <span class="badge big b-degraded">degraded</span>');
    expect(html).toContain('<title>tunnelwatch: connector healthy, service degraded</title>');
  });
});

describe('status page: alerts', () => {
  it('counts down a pending alert, relative and as ISO 8601', () => {
    const page = text(renderStatusPage(healthySnapshot(), NOW, { alerts: [], pending: [pending] }));
    expect(page).toContain('Pending alerts severity alert summary time left holding since warning TunnelOriginUnreachable Origin rule1:http://api:9000 is unreachable fires in 1m 40s 2026-11-27T12:01:40Z 20s ago 2026-11-27T11:59:40Z');
    expect(text(renderStatusPage(healthySnapshot(), NOW, { pending: [{ ...pending, firesAt: NOW - 1000 }] }))).toContain('fires at the next evaluation');
    expect(text(renderStatusPage(healthySnapshot(), NOW, { pending: [] }))).toContain('Pending alerts None: no alert is about to fire.');
    expect(renderStatusPage(healthySnapshot(), NOW)).not.toContain('Pending alerts');
  });
});

describe('status page: each reason with its next step', () => {
  it('shows the diagnosed cause that explains a reason, with its evidence, fix and runbook', () => {
    const html = renderStatusPage(healthySnapshot(), NOW, { diagnosis: [refused] });
    const page = text(html);
    expect(page).toContain(`origins_down 1 of 3 origins down: api since 3m ago 2026-11-27T11:57:00Z ${CAUSES.origin_refused.title} origin high confidence`);
    expect(page).toContain(`Next step: ${CAUSES.origin_refused.remediation} Runbook`);
    expect(page).toContain('probe · 4s ago 2026-11-27T11:59:56Z api.example.com -&gt; http://api:9000: connect ECONNREFUSED 10.0.0.7:9000');
    expect(html).toContain('<a href="https://runbooks.example/causes.md#origin_refused">Runbook</a>');
  });

  it('gives a generic next step and the runbook of the reason when no cause explains it', () => {
    const html = renderStatusPage(downSnapshot(), NOW, { runbookBaseUrl: 'https://runbooks.example/docs/' });
    const page = text(html);
    expect(page).toContain('no_connections 0 of 4 HA connections registered since 7m ago 2026-11-27T11:53:00Z Next step: No connection is registered with the edge');
    expect(html).toContain('<a href="https://runbooks.example/docs/TunnelConnectorUnhealthy.md">Runbook</a>');
    expect(html).toContain('<a href="https://runbooks.example/docs/TunnelEdgeAPIUnavailable.md">Runbook</a>');
    // Without a configured base, the runbooks this server serves.
    expect(renderStatusPage(downSnapshot(), NOW)).toContain('<a href="/runbooks/TunnelConnectorUnhealthy.md">Runbook</a>');
  });

  it('lists a cause no reason claims under "Also found", and says so when nothing is wrong', () => {
    const page = text(renderStatusPage(healthySnapshot(), NOW, { diagnosis: [refused, single] }));
    expect(page).toContain(`Also found ${CAUSES.single_replica.title}`);
    const calm = { ...healthySnapshot(), reasons: [] };
    expect(text(renderStatusPage(calm, NOW, { diagnosis: [] }))).toContain('Why Nothing is wrong that tunnelwatch knows of');
  });
});

describe('/status: who, the service and the pending alerts', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('adds identity and pendingAlerts with their ISO twins; the history stays on the page', async () => {
    const history = { intervalMs: 30_000, samples: [{ at: NOW, state: 'healthy' as const, service: 'degraded' as const, registered: 4, expected: 4, originsDown: 1, reconnects: 0 }] };
    app = buildServer({
      snapshot: healthySnapshot,
      registry: fixtureRegistry(),
      server: { listen: '127.0.0.1:9464', readyRequiresOrigins: false },
      now: () => NOW,
      pendingAlerts: () => [pending],
      identity: () => ({ replica: 'tunnelwatch-0', zone: 'eu-west-1a', tunnelId: TUNNEL_ID }),
      history: () => history,
    });
    const body = (await app.inject('/status')).json<Record<string, unknown>>();
    expect(body.identity).toEqual({ replica: 'tunnelwatch-0', zone: 'eu-west-1a', tunnelId: TUNNEL_ID });
    expect(body.pendingAlerts).toEqual([{ ...pending, activeAtIso: '2026-11-27T11:59:40.000Z', firesAtIso: '2026-11-27T12:01:40.000Z' }]);
    expect(body).not.toHaveProperty('history');
    const page = (await app.inject('/')).body;
    expect(page).toContain('data-chart="connections"');
    expect(page).toContain('fires in 1m 40s');
  });
});

describe('withIsoTimes', () => {
  it('twins the Unix ms fields at any depth, and leaves alone what no date can hold', () => {
    expect(withIsoTimes({ since: 0, list: [{ at: NOW }], nested: { firesAt: Number.NaN, checkedAt: 1e300, at: 'x' }, duration: 5 })).toEqual({
      since: 0,
      sinceIso: '1970-01-01T00:00:00.000Z',
      list: [{ at: NOW, atIso: '2026-11-27T12:00:00.000Z' }],
      nested: { firesAt: Number.NaN, checkedAt: 1e300, at: 'x' },
      duration: 5,
    });
  });
});
