import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/server/app.js';
import { escapeHtml, formatDuration, renderStatusPage } from '../src/server/page/index.js';
import type { HealthSnapshot } from '../src/state/snapshot.js';
import { NOW, downSnapshot, fixtureRegistry, healthySnapshot } from './helpers/health-snapshots.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function serve(snapshot: () => HealthSnapshot): FastifyInstance {
  app = buildServer({ snapshot, registry: fixtureRegistry(), server: { listen: '127.0.0.1:9464', readyRequiresOrigins: false }, now: () => NOW });
  return app;
}

/** The page's text with tags removed and whitespace collapsed. */
const text = (html: string): string => html.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

/** A copy of a JSON value without the `*Iso` twins, and every twin found, by path. */
function splitIso(value: unknown, path = '', twins = new Map<string, unknown>()): { plain: unknown; twins: Map<string, unknown> } {
  if (Array.isArray(value)) return { plain: value.map((v, i) => splitIso(v, `${path}[${String(i)}]`, twins).plain), twins };
  if (value === null || typeof value !== 'object') return { plain: value, twins };
  const plain: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.endsWith('Iso')) twins.set(`${path}.${k}`, v);
    else plain[k] = splitIso(v, `${path}.${k}`, twins).plain;
  }
  return { plain, twins };
}

describe('/status', () => {
  it('serves the snapshot as JSON with generatedAt, the service state, and an ISO twin beside every Unix ms time', async () => {
    const res = await serve(healthySnapshot).inject('/status');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<Record<string, unknown>>();
    const { plain, twins } = splitIso(body);
    // Every field there was is still there, unchanged.
    const { service, ...rest } = plain as Record<string, unknown>;
    expect(rest).toEqual({ ...JSON.parse(JSON.stringify(healthySnapshot())), generatedAt: NOW });
    expect(service).toEqual({ state: 'degraded', origins: { up: 2, down: 1, unknown: 0, total: 3 }, summary: '1 of 3 origins down: api.example.com' });
    expect(body.sinceIso).toBe('2026-11-27T11:18:00.000Z');
    expect(body.generatedAtIso).toBe('2026-11-27T12:00:00.000Z');
    expect(twins.get('.reasons[0].sinceIso')).toBe('2026-11-27T11:57:00.000Z');
    expect(twins.get('.origins[1].lastProbeAtIso')).toBe('2026-11-27T11:59:56.000Z');
    expect(twins.get('.edge.checkedAtIso')).toBe('2026-11-27T11:59:40.000Z');
    expect(twins.get('.transitions[2].atIso')).toBe('2026-11-27T11:18:00.000Z');
    // Each twin sits beside its Unix ms field and says the same instant.
    for (const [path, iso] of twins) {
      const keys = path.replace(/Iso$/, '').replace(/\[(\d+)\]/g, '.$1').split('.').filter((k) => k !== '');
      const epoch = keys.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], body);
      expect(new Date(iso as string).getTime(), path).toBe(epoch);
    }
    // at, since, generatedAt; a reason, 4 connections, 3 origins (since, lastProbeAt), the edge, 3 transitions.
    expect(twins.size).toBe(3 + 1 + 4 + 3 * 2 + 1 + 3);
  });
});

describe('status page', () => {
  it('is self-contained HTML that refreshes every 5 s', async () => {
    const res = await serve(healthySnapshot).inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain('<meta http-equiv="refresh" content="5">');
    expect(res.body).not.toMatch(/<script|<link|src=|url\(/i);
  });

  it('shows state, time in state, reasons, connections by colo, origins, edge view and transitions', () => {
    const page = text(renderStatusPage(healthySnapshot(), NOW));
    expect(page).toContain('tunnelwatch connector healthy service degraded Connector healthy for 42m , since 2026-11-27T11:18:00Z');
    expect(page).toContain('Service degraded : 1 of 3 origins down: api.example.com.');
    expect(page).toContain('Registered connections 4 of 4');
    expect(page).toContain('origins_down 1 of 3 origins down: api since 3m ago 2026-11-27T11:57:00Z');
    expect(page).toContain('lax01 × 2 sjc01 × 2');
    expect(page).toContain('0 up lax01 quic 198.41.200.13 42m ago 2026-11-27T11:18:00Z');
    expect(page).toContain('Origins 2 up · 1 down · 0 unknown');
    expect(page).toContain('rule1:http://api:9000 api.example.com http://api:9000 down connect ECONNREFUSED 10.0.0.7:9000 3m ago 2026-11-27T11:57:00Z 1 ms');
    expect(page).toContain('Tunnel status healthy checked 20s ago 2026-11-27T11:59:40Z');
    expect(page).toContain('(this replica)');
    expect(page).toContain('dfw01 (pending reconnect)');
    expect(page.indexOf('degraded → healthy')).toBeLessThan(page.indexOf('unknown → down'));
  });

  it('shows a down connector with unknown values', () => {
    const html = renderStatusPage(downSnapshot(), NOW);
    expect(html).toContain('class="badge big b-down"');
    const page = text(html);
    expect(page).toContain('no registered connection');
    expect(page).toContain('process backoff · last exit exit 1');
    expect(page).toContain('fetch failed');
    expect(page).toContain('1 up · 1 down · 1 unknown');
  });

  it('escapes every value it shows', () => {
    const evil = '<script>alert("x")</script>&\'';
    const s = healthySnapshot();
    const snapshot: HealthSnapshot = {
      ...s,
      reasons: [{ code: 'origins_down', message: evil, since: NOW }],
      origins: [{ key: evil, reason: evil, hostname: evil, service: evil, state: 'down', since: NOW }],
      connections: [{ connIndex: 0, up: true, location: evil, protocol: evil, edgeIp: evil }],
      edge: { ...s.edge, error: evil, connectors: [{ id: evil, version: evil, connections: [{ id: 'c', colo: evil, pendingReconnect: false }] }] },
      process: { phase: 'backoff', lastExit: evil },
    };
    const html = renderStatusPage(snapshot, NOW);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('"x"');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  });

  it('formats durations with their two largest units', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-5000)).toBe('0s');
    expect(formatDuration(59_999)).toBe('59s');
    expect(formatDuration(3_600_000 + 5_000)).toBe('1h');
    expect(formatDuration(90_061_000)).toBe('1d 1h');
    expect(escapeHtml('a&b')).toBe('a&amp;b');
  });
});

describe('status page: what this replica did about it', () => {
  it('shows the fence with its reason and the newest incident bundle, escaped; nothing when there is neither', () => {
    const html = renderStatusPage(downSnapshot(), NOW, {
      fence: { fenced: true, since: NOW - 60_000, why: 'every origin is down here (app.example.com) while <peer> serves them' },
      incident: { path: '/var/lib/tunnelwatch/spool/incidents/incident-x-down.json', at: NOW - 30_000, trigger: 'down' },
    });
    expect(html).toContain('<h2>Actions</h2>');
    expect(html).toMatch(/<strong>Fenced<\/strong> since .*every origin is down here \(app\.example\.com\) while &lt;peer&gt; serves them/);
    expect(html).toContain('<code>/var/lib/tunnelwatch/spool/incidents/incident-x-down.json</code>');
    expect(renderStatusPage(downSnapshot(), NOW, { fence: { fenced: false } })).not.toContain('<h2>Actions</h2>');
  });
});
