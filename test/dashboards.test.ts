// The Grafana dashboards in dashboards/: each validates against @grafana/schema, every PromQL expression parses
// with @prometheus-io/lezer-promql and every LogQL one with @grafana/lezer-logql (variables substituted as
// Grafana would), every metric and label a query uses is one tunnelwatch serves (docs/metrics.md, generated
// from the registry), every Loki label and JSON field one its Loki sink writes, and the layout is sane.
// The end-to-end proof against a real Prometheus is test/integration/dashboards-prometheus.test.ts.
import { readFileSync } from 'node:fs';
import { parser as logqlParser } from '@grafana/lezer-logql';
import { defaultDashboard } from '@grafana/schema';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import type { LogEventType } from '../src/cloudflared/log/event.js';
import { connectorRecord } from '../src/telemetry/logs/log-record.js';
import { streamLabels } from '../src/telemetry/sinks/loki-sink.js';
import { BUILTINS, labelValuesQueries, loadDashboards, panelsOf, queriesOf, referencedVariables, substitute, variablesOf, type DashboardFile, type Language } from './helpers/dashboards.js';
import { members } from './helpers/grafana-shapes.js';
import { dashboardProblems, isObject } from './helpers/grafana-schema.js';

const dashboards = loadDashboards();
const byFile = (file: string): DashboardFile => {
  const d = dashboards.find((x) => x.file === file);
  if (!d) throw new Error(`dashboards/${file} is missing`);
  return d;
};

// Values standing in for the variables, as Grafana would substitute them.
const EVENT_CHOICE = 'registered|connection_lost';
const VALUES: Readonly<Record<string, string>> = {
  tunnel: '6ff42ae2-765d-4adf-8112-31c55c1551ef', replica: 'replica-a', event: EVENT_CHOICE,
  __rate_interval: '1m', __interval: '15s', __range: '1h', __auto: '1m',
};

/** docs/metrics.md's table: metric name → its labels. */
function servedMetrics(): Map<string, string[]> {
  const doc = readFileSync(new URL('../docs/metrics.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `(\w+)` \| \w+ \| ([^|]*) \|/gm)];
  return new Map(rows.map((m) => [m[1] ?? '', [...(m[2] ?? '').matchAll(/`(\w+)`/g)].map((l) => l[1] ?? '')]));
}
const METRICS = servedMetrics();
// Labels Prometheus adds to every scraped series (job, instance) or to a histogram bucket (le).
const LABELS = new Set(['job', 'instance', 'le', ...[...METRICS.values()].flat()]);

interface Parsed {
  readonly errors: string[];
  readonly nodes: { readonly name: string; readonly parent: string; readonly grandparent: string; readonly text: string }[];
}

function parse(language: Language, expr: string): Parsed {
  const tree = (language === 'promql' ? promqlParser : logqlParser).parse(expr);
  const errors: string[] = [];
  const nodes: Parsed['nodes'][number][] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(`syntax error at ${String(n.from)}: …${expr.slice(Math.max(0, n.from - 30), n.from)}⟨here⟩${expr.slice(n.from, n.from + 30)}…`);
      const parent = n.node.parent;
      nodes.push({ name: n.name, parent: parent?.name ?? '', grandparent: parent?.parent?.name ?? '', text: expr.slice(n.from, n.to) });
    },
  });
  return { errors, nodes };
}

const promql = dashboards.flatMap(queriesOf).filter((q) => q.language === 'promql').map((q) => ({ ...q, parsed: parse('promql', substitute(q.expr, VALUES, q.panel)) }));
const logql = dashboards.flatMap(queriesOf).filter((q) => q.language === 'logql').map((q) => ({ ...q, parsed: parse('logql', substitute(q.expr, VALUES, q.panel)) }));
const variableSelectors = dashboards.flatMap((d) => labelValuesQueries(d).map((v) => ({ ...v, where: `dashboards/${d.file} variable ${v.variable}`, parsed: parse('promql', substitute(v.selector, VALUES, d.file)) })));

const metricNames = (p: Parsed): string[] => p.nodes.filter((n) => n.name === 'Identifier' && n.parent === 'VectorSelector').map((n) => n.text);

describe('dashboards/', () => {
  it('holds the four dashboards of issue 7, each with a unique uid', () => {
    expect(dashboards.map((d) => d.file)).toEqual(['connector-detail.json', 'logs.json', 'origins.json', 'tunnel-overview.json']);
    const uids = dashboards.map((d) => d.json.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it.each(dashboards.map((d) => [d.file, d] as const))('%s validates against @grafana/schema', (_file, d) => {
    expect(dashboardProblems(d.json)).toEqual([]);
    // Current for Grafana 11 (39) and 12, no newer than the schema package knows.
    expect(d.json.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(d.json.schemaVersion).toBeLessThanOrEqual(defaultDashboard.schemaVersion);
  });

  it.each(dashboards.map((d) => [d.file, d] as const))('%s has the datasource, tunnel and replica variables', (file, d) => {
    const vars = variablesOf(d);
    expect(vars.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    if (file === 'logs.json') expect(vars.find((v) => v.name === 'loki')).toMatchObject({ type: 'datasource', query: 'loki' });
    const sources = Object.fromEntries(labelValuesQueries(d).map((q) => [q.variable, q]));
    expect(sources.tunnel).toMatchObject({ label: 'tunnel_id' });
    expect(sources.tunnel?.selector).toMatch(/^tunnelwatch_tunnel_info\b/);
    expect(sources.replica).toMatchObject({ label: 'replica' });
    expect(sources.replica?.selector).toMatch(/^tunnelwatch_tunnel_info\b/);
    const names = vars.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const q of queriesOf(d)) {
      for (const name of referencedVariables(q.expr)) expect([...names, ...BUILTINS], `${q.panel} uses $${name}`).toContain(name);
    }
  });

  it.each(dashboards.map((d) => [d.file, d] as const))('%s has unique panel ids, a query in every panel and a sane grid', (_file, d) => {
    const panels = panelsOf(d);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const boxes = panels.map((p) => ({ title: String(p.title), row: p.type === 'row', ...(p.gridPos as { x: number; y: number; w: number; h: number }) }));
    for (const b of boxes) {
      expect(b.w, b.title).toBeGreaterThanOrEqual(1);
      expect(b.h, b.title).toBeGreaterThanOrEqual(1);
      expect(b.x, b.title).toBeGreaterThanOrEqual(0);
      expect(b.y, b.title).toBeGreaterThanOrEqual(0);
      expect(b.x + b.w, b.title).toBeLessThanOrEqual(24);
      if (b.row) expect([b.x, b.w, b.h], b.title).toEqual([0, 24, 1]);
    }
    for (const [i, a] of boxes.entries()) {
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `"${a.title}" overlaps "${b.title}"`).toBe(false);
      }
    }
    for (const p of panels.filter((x) => x.type !== 'row')) expect(Array.isArray(p.targets) && p.targets.length > 0, String(p.title)).toBe(true);
  });
});

describe('the @grafana/schema check', () => {
  const overview = byFile('tunnel-overview.json').json;
  const broken = (edit: (d: Record<string, unknown>) => void): string[] => {
    const copy = structuredClone(overview);
    edit(copy);
    return dashboardProblems(copy);
  };
  const firstPanel = (d: Record<string, unknown>): Record<string, unknown> => (d.panels as Record<string, unknown>[])[1] ?? {};

  it('rejects what Grafana\'s schema does not allow', () => {
    expect(broken((d) => { d.schemaVersion = '41'; })).toEqual(['dashboard.schemaVersion: expected number like the schema default, got string']);
    expect(broken((d) => { d.panel = []; })).toEqual(['dashboard: unknown key "panel" (not in @grafana/schema)']);
    expect(broken((d) => { delete firstPanel(d).type; })[0]).toMatch(/required key "type" missing/);
    expect(broken((d) => { (firstPanel(d).gridPos as Record<string, unknown>).w = 1.5; })).toEqual(['dashboard.panels[1].gridPos.w: expected an integer']);
    expect(broken((d) => { (firstPanel(d).options as Record<string, unknown>).showValue = 'sometimes'; })[0]).toMatch(/showValue: "sometimes" is not one of/);
    expect(broken((d) => { ((d.templating as { list: Record<string, unknown>[] }).list[1] ?? {}).type = 'dropdown'; })[0]).toMatch(/type: "dropdown" is not one of/);
    expect(broken((d) => { firstPanel(d).type = 'piechart'; })[0]).toMatch(/no schema shape for panel type "piechart"/);
  });
});

describe('PromQL in the dashboards', () => {
  it('there are queries to check', () => {
    expect(promql.length).toBeGreaterThan(40);
    expect(variableSelectors.length).toBeGreaterThanOrEqual(8);
  });

  it.each(promql.map((q) => [`${q.panel} ${q.refId}`, q] as const))('%s parses', (_name, q) => {
    expect(q.parsed.errors, q.expr).toEqual([]);
  });

  it.each(variableSelectors.map((v) => [v.where, v] as const))('%s selector parses', (_name, v) => {
    expect(v.parsed.errors, v.selector).toEqual([]);
  });

  it('uses only metrics tunnelwatch serves (docs/metrics.md), never cloudflared\'s own', () => {
    expect(METRICS.size).toBeGreaterThan(50);
    for (const q of [...promql.map((x) => ({ where: x.panel, parsed: x.parsed })), ...variableSelectors]) {
      const names = metricNames(q.parsed);
      expect(names.length, `${q.where}: no metric`).toBeGreaterThan(0);
      for (const name of names) expect(METRICS.has(name) || name === 'ALERTS', `${q.where}: ${name} is not in docs/metrics.md`).toBe(true);
    }
  });

  it('uses only label names those metrics carry, or the scrape target\'s', () => {
    for (const q of promql) {
      for (const n of q.parsed.nodes.filter((x) => x.name === 'LabelName')) expect(LABELS.has(n.text), `${q.panel}: label ${n.text}`).toBe(true);
    }
  });

  // What issue 7 asks each dashboard to show, by the metric that shows it.
  const MUST_SHOW: Readonly<Record<string, readonly string[]>> = {
    'tunnel-overview.json': [
      'tunnelwatch_edge_status', 'tunnelwatch_connector_state', 'tunnelwatch_connection_info', 'tunnelwatch_cloudflared_requests_total',
      'tunnelwatch_cloudflared_request_errors_total', 'tunnelwatch_origin_up', 'tunnelwatch_alerts_firing', 'tunnelwatch_connector_restarts_total',
    ],
    'connector-detail.json': [
      'tunnelwatch_connection_up', 'tunnelwatch_connector_reason', 'tunnelwatch_cloudflared_register_fail_total', 'tunnelwatch_cloudflared_register_success_total',
      'tunnelwatch_cloudflared_quic_smoothed_rtt_seconds', 'tunnelwatch_cloudflared_quic_lost_packets_total', 'tunnelwatch_connector_restarts_total',
      'tunnelwatch_view_connections', 'tunnelwatch_log_spool_bytes', 'tunnelwatch_log_spool_oldest_age_seconds', 'tunnelwatch_log_records_dropped_total',
    ],
    'origins.json': [
      'tunnelwatch_origin_up', 'tunnelwatch_origin_probe_phase_seconds', 'tunnelwatch_origin_http_status', 'tunnelwatch_origin_tls_cert_not_after_timestamp_seconds',
    ],
  };
  it.each(Object.entries(MUST_SHOW))('%s shows what the issue asks', (file, metrics) => {
    const used = new Set(queriesOf(byFile(file)).flatMap((q) => metricNames(parse('promql', substitute(q.expr, VALUES, q.panel)))));
    for (const m of metrics) expect(used.has(m), `${file} does not use ${m}`).toBe(true);
  });
});

describe('LogQL in the dashboards', () => {
  const EVENTS = members<LogEventType>()([
    'starting', 'version', 'connector_id', 'metrics_server', 'initial_protocol', 'registered', 'unregistered', 'connection_lost', 'serve_error',
    'dial_error', 'register_error', 'retrying', 'terminated', 'fallback', 'origin_error', 'request_error', 'config_updated', 'config_error',
    'shutdown', 'fatal', 'other',
  ]);
  // What the Loki sink really writes for a cloudflared line: stream labels, and the JSON line's fields.
  const record = connectorRecord(
    { type: 'connection_lost', format: 'json', message: 'Lost connection with the edge', error: 'timeout', fields: {}, connIndex: 1 },
    '{}', { stream: 'stderr', time: 0 }, { tunnel_id: 't', replica: 'r', zone: 'z' },
  );
  const streamLabelNames = Object.keys(streamLabels(record, { job: 'tunnelwatch' }));
  const logs = byFile('logs.json');

  it('has the logs panels, each with queries that parse', () => {
    expect(panelsOf(logs).filter((p) => p.type === 'logs').length).toBeGreaterThanOrEqual(1);
    expect(logql.length).toBeGreaterThanOrEqual(3);
    for (const q of logql) expect(q.parsed.errors, `${q.panel}: ${q.expr}`).toEqual([]);
  });

  it('selects streams by labels the Loki sink writes, job="tunnelwatch" first', () => {
    expect(streamLabelNames).toEqual(expect.arrayContaining(['job', 'source', 'level', 'tunnel_id', 'replica', 'zone']));
    for (const q of logql) {
      const selector = q.parsed.nodes.filter((n) => n.name === 'Identifier' && n.parent === 'Matcher' && n.grandparent === 'Matchers').map((n) => n.text);
      expect(selector[0], q.panel).toBe('job');
      for (const label of selector) expect(streamLabelNames, `${q.panel}: stream label ${label}`).toContain(label);
    }
  });

  it('extracts JSON fields the records have, and filters on event types the parser emits', () => {
    const eventVariable = variablesOf(logs).find((v) => v.name === 'event');
    const options = String(eventVariable?.query).split(',');
    for (const e of options) expect(EVENTS, `event variable value ${e}`).toContain(e);
    for (const q of logql) {
      for (const n of q.parsed.nodes.filter((x) => x.name === 'String' && x.parent === 'LabelExtractionExpression')) {
        expect(Object.keys(record), `${q.panel}: JSON field ${n.text}`).toContain(JSON.parse(n.text));
      }
      const events = q.parsed.nodes.filter((n) => n.name === 'String' && n.parent === 'Matcher' && n.grandparent === 'LabelFilter');
      for (const n of events) {
        const value = JSON.parse(n.text) as string;
        for (const e of value.split('|')) expect([...EVENTS, ...EVENT_CHOICE.split('|')], `${q.panel}: event ${e}`).toContain(e);
      }
    }
    expect(isObject(eventVariable)).toBe(true);
  });
});
