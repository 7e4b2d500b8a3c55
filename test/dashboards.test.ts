// The Grafana dashboards in dashboards/: each validates against @grafana/schema, every PromQL expression parses
// with @prometheus-io/lezer-promql and every LogQL one with @grafana/lezer-logql (variables substituted as
// Grafana would), every metric and label a query uses is one tunnelwatch serves (docs/metrics.md, generated
// from the registry), every JSON field a LogQL query extracts one tunnelwatch's records have, and the layout is sane. The
// logs dashboard selects streams by its $streams variable alone (job="tunnelwatch" for the Loki sink, a collector's labels
// for stdout collected by Promtail or Alloy) and filters source, tunnel, replica and level after a json stage. The
// Prometheus dashboards are scoped to $cluster and $namespace as the rules are (alerts/tunnelwatch.rules.yaml):
// every tunnelwatch_tunnel_info selector filters by both and by $zone (the replicas' availability zone), every join
// on job and instance matches within them, and so do their annotation queries (connector restarts, connector state
// changes); a panel's or annotation's tunnelwatch_tunnel_info selector filters by $tunnel and $replica too.
// The end-to-end proof against a real Prometheus is test/integration/dashboards-prometheus.test.ts.
import { readFileSync } from 'node:fs';
import { parser as logqlParser } from '@grafana/lezer-logql';
import { GraphThresholdsStyleMode, defaultDashboard } from '@grafana/schema';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { LogEventType } from '../src/cloudflared/log/event.js';
import { settingsSchema } from '../src/config/schema.js';
import { connectorRecord, levelName } from '../src/telemetry/logs/log-record.js';
import { streamLabels } from '../src/telemetry/sinks/loki-sink.js';
import { BUILTINS, labelValuesQueries, loadDashboards, panelsOf, queriesOf, referencedVariables, substitute, variablesOf, type DashboardFile, type Language, type Query } from './helpers/dashboards.js';
import { members } from './helpers/grafana-shapes.js';
import { dashboardProblems, isObject, type Json } from './helpers/grafana-schema.js';

const dashboards = loadDashboards();
const byFile = (file: string): DashboardFile => {
  const d = dashboards.find((x) => x.file === file);
  if (!d) throw new Error(`dashboards/${file} is missing`);
  return d;
};

const PROMETHEUS_DASHBOARDS = ['connector-detail.json', 'origins.json', 'tunnel-overview.json'];

// Values standing in for the variables, as Grafana would substitute them.
const EVENT_CHOICE = 'registered|connection_lost';
const CLUSTER = 'cluster-a';
const NAMESPACE = 'namespace-a';
const ZONE = 'zone-a';
const TUNNEL = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
const REPLICA = 'replica-a';
const STREAMS = 'job="tunnelwatch"';
const VALUES: Readonly<Record<string, string>> = {
  streams: STREAMS, cluster: CLUSTER, namespace: NAMESPACE, zone: ZONE, tunnel: TUNNEL, replica: REPLICA, event: EVENT_CHOICE,
  __rate_interval: '1m', __interval: '15s', __range: '1h', __auto: '1m',
};

const annotationList = (d: DashboardFile): unknown[] => (isObject(d.json.annotations) && Array.isArray(d.json.annotations.list) ? d.json.annotations.list : []);
const isPrometheusAnnotation = (a: unknown): a is Json => isObject(a) && isObject(a.datasource) && a.datasource.type === 'prometheus';
/** The Prometheus annotation queries of a dashboard, named like panel queries. */
function annotationQueries(d: DashboardFile): Query[] {
  return annotationList(d).filter(isPrometheusAnnotation).map((a) => {
    const panel = `dashboards/${d.file} annotation "${String(a.name)}"`;
    if (typeof a.expr !== 'string') throw new Error(`${panel}: no expr`);
    return { file: d.file, panel, refId: 'annotation', language: 'promql', expr: a.expr };
  });
}

// Keys Grafana's Prometheus datasource reads from an annotation query beside the generic ones, with their JSON
// type. @grafana/schema's AnnotationQuery (v1) lists no datasource's own keys (v2 keeps them in legacyOptions).
const PROMETHEUS_ANNOTATION_KEYS: Readonly<Record<string, string>> = {
  expr: 'string', step: 'string', titleFormat: 'string', textFormat: 'string', tagKeys: 'string', useValueForTime: 'boolean',
};
/** dashboardProblems, except the Prometheus keys of Prometheus annotations, whose types are checked instead. */
function schemaProblems(d: DashboardFile): string[] {
  const list = annotationList(d);
  const problems = dashboardProblems(d.json).filter((p) => {
    const m = /^dashboard\.annotations\.list\[(\d+)\]: unknown key "(\w+)" \(not in @grafana\/schema\)$/.exec(p);
    return !(m && isPrometheusAnnotation(list[Number(m[1])]) && (m[2] ?? '') in PROMETHEUS_ANNOTATION_KEYS);
  });
  list.forEach((a, i) => {
    if (!isPrometheusAnnotation(a)) return;
    for (const [k, type] of Object.entries(PROMETHEUS_ANNOTATION_KEYS)) {
      if (k in a && typeof a[k] !== type) problems.push(`dashboard.annotations.list[${String(i)}].${k}: expected ${type}, got ${typeof a[k]}`);
    }
  });
  return problems;
}

/** docs/metrics.md's table: metric name → its labels. */
function servedMetrics(): Map<string, string[]> {
  const doc = readFileSync(new URL('../docs/metrics.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `(\w+)` \| \w+ \| ([^|]*) \|/gm)];
  return new Map(rows.map((m) => [m[1] ?? '', [...(m[2] ?? '').matchAll(/`(\w+)`/g)].map((l) => l[1] ?? '')]));
}
const METRICS = servedMetrics();
// Labels Prometheus adds to every scraped series (job, instance), to a histogram bucket (le), or a Kubernetes
// scrape or an external label adds as the monitoring mixins expect (cluster, namespace).
const LABELS = new Set(['job', 'instance', 'le', 'cluster', 'namespace', ...[...METRICS.values()].flat()]);

interface Parsed {
  readonly errors: string[];
  readonly nodes: { readonly name: string; readonly parent: string; readonly grandparent: string; readonly text: string; readonly from: number }[];
}

function parse(language: Language, expr: string): Parsed {
  const tree = (language === 'promql' ? promqlParser : logqlParser).parse(expr);
  const errors: string[] = [];
  const nodes: Parsed['nodes'][number][] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(`syntax error at ${String(n.from)}: …${expr.slice(Math.max(0, n.from - 30), n.from)}⟨here⟩${expr.slice(n.from, n.from + 30)}…`);
      const parent = n.node.parent;
      nodes.push({ name: n.name, parent: parent?.name ?? '', grandparent: parent?.parent?.name ?? '', text: expr.slice(n.from, n.to), from: n.from });
    },
  });
  return { errors, nodes };
}

const promql = [...dashboards.flatMap(queriesOf), ...dashboards.flatMap(annotationQueries)]
  .filter((q) => q.language === 'promql').map((q) => ({ ...q, parsed: parse('promql', substitute(q.expr, VALUES, q.panel)) }));
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
    expect(schemaProblems(d)).toEqual([]);
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
    for (const q of [...queriesOf(d), ...annotationQueries(d)]) {
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
    return schemaProblems({ file: 'tunnel-overview.json', json: copy });
  };
  const annotation = (d: Record<string, unknown>, name: string): Record<string, unknown> =>
    ((d.annotations as { list: Record<string, unknown>[] }).list.find((a) => a.name === name)) ?? {};
  const firstPanel = (d: Record<string, unknown>): Record<string, unknown> => (d.panels as Record<string, unknown>[])[1] ?? {};

  it('rejects what Grafana\'s schema does not allow', () => {
    expect(broken((d) => { d.schemaVersion = '41'; })).toEqual(['dashboard.schemaVersion: expected number like the schema default, got string']);
    expect(broken((d) => { d.panel = []; })).toEqual(['dashboard: unknown key "panel" (not in @grafana/schema)']);
    expect(broken((d) => { delete firstPanel(d).type; })[0]).toMatch(/required key "type" missing/);
    expect(broken((d) => { (firstPanel(d).gridPos as Record<string, unknown>).w = 1.5; })).toEqual(['dashboard.panels[1].gridPos.w: expected an integer']);
    expect(broken((d) => { (firstPanel(d).options as Record<string, unknown>).showValue = 'sometimes'; })[0]).toMatch(/showValue: "sometimes" is not one of/);
    expect(broken((d) => { ((d.templating as { list: Record<string, unknown>[] }).list[1] ?? {}).type = 'dropdown'; })[0]).toMatch(/type: "dropdown" is not one of/);
    expect(broken((d) => { firstPanel(d).type = 'piechart'; })[0]).toMatch(/no schema shape for panel type "piechart"/);
    // A Prometheus annotation may carry the Prometheus datasource's keys, with their types, and nothing else.
    expect(broken(() => undefined)).toEqual([]);
    expect(broken((d) => { annotation(d, 'Connector restarts').exprs = 'up'; })).toEqual(['dashboard.annotations.list[1]: unknown key "exprs" (not in @grafana/schema)']);
    expect(broken((d) => { annotation(d, 'Connector restarts').useValueForTime = 'no'; })).toEqual(['dashboard.annotations.list[1].useValueForTime: expected boolean, got string']);
    expect(broken((d) => { annotation(d, 'Annotations & Alerts').expr = 'up'; })).toEqual(['dashboard.annotations.list[0]: unknown key "expr" (not in @grafana/schema)']);
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

// alerts/tunnelwatch.rules.yaml's recorded series whose outermost aggregation keeps cluster and namespace: only
// those can be filtered by $cluster and $namespace (the by_tunnel ones aggregate across clusters).
const SCOPED_RECORDS: ReadonlySet<string> = (() => {
  const rules = parseYaml(readFileSync(new URL('../alerts/tunnelwatch.rules.yaml', import.meta.url), 'utf8')) as { groups: { rules: { record?: string; expr: string }[] }[] };
  return new Set(rules.groups.flatMap((g) => g.rules).flatMap((r) => {
    const by = /^\w+ by \(([^)]*)\)/.exec(r.expr.trim())?.[1]?.split(',').map((l) => l.trim()) ?? [];
    return r.record !== undefined && by.includes('cluster') && by.includes('namespace') ? [r.record] : [];
  }));
})();

// A variable's label on tunnelwatch_tunnel_info and the value VALUES gives it.
const MATCHERS = {
  cluster: ['cluster', CLUSTER], namespace: ['namespace', NAMESPACE], zone: ['zone', ZONE], tunnel: ['tunnel_id', TUNNEL], replica: ['replica', REPLICA],
} as const;
type Scope = keyof typeof MATCHERS;
/** What every tunnelwatch_tunnel_info selector filters by, the variables' own ones included. */
const SCOPE: readonly Scope[] = ['cluster', 'namespace', 'zone'];
/** What a panel's or an annotation's tunnelwatch_tunnel_info selector filters by. */
const QUERY_SCOPE: readonly Scope[] = [...SCOPE, 'tunnel', 'replica'];

/**
 * Why an expression (variables substituted with VALUES) is not scoped to $cluster and $namespace: a
 * tunnelwatch_tunnel_info selector without a regex matcher for each variable of `scope` (by default $cluster,
 * $namespace and $zone), a recorded tunnelwatch: selector without the $cluster and $namespace ones, a recorded series
 * without those labels, or an `on (...)` join over job or instance that would match across clusters and namespaces.
 */
function scopeProblems(expr: string, scope: readonly Scope[] = SCOPE): string[] {
  const problems: string[] = [];
  const text = (n: { from: number; to: number } | null): string => (n ? expr.slice(n.from, n.to) : '');
  promqlParser.parse(expr).iterate({
    enter: (ref) => {
      const node = ref.node;
      if (ref.name === 'VectorSelector') {
        const metric = text(node.getChild('Identifier'));
        if (metric.startsWith('tunnelwatch:') && !SCOPED_RECORDS.has(metric)) {
          problems.push(`${metric} has no cluster and namespace labels to filter by (see alerts/tunnelwatch.rules.yaml)`);
        } else if (metric === 'tunnelwatch_tunnel_info' || metric.startsWith('tunnelwatch:')) {
          const matchers = node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? [];
          const variables: readonly Scope[] = metric === 'tunnelwatch_tunnel_info' ? scope : ['cluster', 'namespace'];
          for (const variable of variables) {
            const [label, value] = MATCHERS[variable];
            const ok = matchers.some((m) => text(m.getChild('LabelName')) === label && text(m.getChild('MatchOp')) === '=~' && text(m.getChild('StringLiteral')) === JSON.stringify(value));
            if (!ok) problems.push(`${metric} is not filtered by ${label}=~"$${variable}"`);
          }
        }
      }
      if (ref.name === 'MatchingModifierClause' && node.getChild('On')) {
        const labels = node.getChild('GroupingLabels')?.getChildren('LabelName').map(text) ?? [];
        if ((labels.includes('job') || labels.includes('instance')) && !(labels.includes('cluster') && labels.includes('namespace'))) {
          problems.push(`on (${labels.join(', ')}) matches across clusters and namespaces`);
        }
      }
    },
  });
  return problems;
}

describe('cluster and namespace in the Prometheus dashboards', () => {
  const prometheusDashboards = PROMETHEUS_DASHBOARDS.map(byFile);
  const scoped = prometheusDashboards.flatMap((d) => [...queriesOf(d), ...annotationQueries(d)])
    .filter((q) => q.language === 'promql').map((q) => ({ ...q, expr: substitute(q.expr, VALUES, q.panel) }));

  it('the scope check catches what it should', () => {
    const info = (matchers: string): string => `tunnelwatch_tunnel_info{${matchers}}`;
    const both = `cluster=~"${CLUSTER}", namespace=~"${NAMESPACE}"`;
    const scope = `${both}, zone=~"${ZONE}"`;
    expect(scopeProblems(`x * on (cluster, namespace, job, instance) group_left (tunnel_id) ${info(`${scope}, tunnel_id=~"t"`)}`)).toEqual([]);
    expect(scopeProblems(`x * on (job, instance) group_left (tunnel_id) ${info(scope)}`)).toEqual(['on (job, instance) matches across clusters and namespaces']);
    expect(scopeProblems(`(x and on (cluster, job, instance, conn_index) y) * on (cluster, namespace, job, instance) ${info(scope)}`))
      .toEqual(['on (cluster, job, instance, conn_index) matches across clusters and namespaces']);
    expect(scopeProblems(`x * on (cluster, namespace, job, instance) ${info('tunnel_id=~"t"')}`)).toEqual([
      'tunnelwatch_tunnel_info is not filtered by cluster=~"$cluster"', 'tunnelwatch_tunnel_info is not filtered by namespace=~"$namespace"',
      'tunnelwatch_tunnel_info is not filtered by zone=~"$zone"',
    ]);
    // $zone alone missing, in either side of a join.
    expect(scopeProblems(`x * on (cluster, namespace, job, instance) group_left (tunnel_id) ${info(both)}`)).toEqual(['tunnelwatch_tunnel_info is not filtered by zone=~"$zone"']);
    // A matcher for another value, or one that is not a regex match (the All value is .*), is not the variable's.
    expect(scopeProblems(info(`cluster=~".*", namespace="${NAMESPACE}", zone="${ZONE}"`))).toEqual([
      'tunnelwatch_tunnel_info is not filtered by cluster=~"$cluster"', 'tunnelwatch_tunnel_info is not filtered by namespace=~"$namespace"',
      'tunnelwatch_tunnel_info is not filtered by zone=~"$zone"',
    ]);
    expect(scopeProblems(info(`${both}, zone=~".*"`))).toEqual(['tunnelwatch_tunnel_info is not filtered by zone=~"$zone"']);
    // A panel's selector filters by $tunnel and $replica too.
    const full = `${scope}, tunnel_id=~"${TUNNEL}", replica=~"${REPLICA}"`;
    expect(scopeProblems(info(full), QUERY_SCOPE)).toEqual([]);
    expect(scopeProblems(info(`${scope}, tunnel_id=~"${TUNNEL}"`), QUERY_SCOPE)).toEqual(['tunnelwatch_tunnel_info is not filtered by replica=~"$replica"']);
    expect(scopeProblems(info(`${scope}, replica=~"${REPLICA}"`), QUERY_SCOPE)).toEqual(['tunnelwatch_tunnel_info is not filtered by tunnel_id=~"$tunnel"']);
    expect(scopeProblems(`sum by (conn_index) (x * on (conn_index) y)`)).toEqual([]);
    expect(SCOPED_RECORDS).toContain('tunnelwatch:connector_state:by_replica');
    expect(scopeProblems(`tunnelwatch:connector_state:by_replica{${both}}`)).toEqual([]);
    expect(scopeProblems('tunnelwatch:connector_state:by_replica')).toHaveLength(2);
    expect(scopeProblems(`tunnelwatch:connector_healthy:by_tunnel{${both}}`)).toEqual([
      'tunnelwatch:connector_healthy:by_tunnel has no cluster and namespace labels to filter by (see alerts/tunnelwatch.rules.yaml)',
    ]);
  });

  it.each(prometheusDashboards.map((d) => [d.file, d] as const))('%s has the cluster, namespace and zone variables before tunnel', (file, d) => {
    const vars = variablesOf(d);
    expect(vars.map((v) => v.name), file).toEqual(['datasource', 'cluster', 'namespace', 'zone', 'tunnel', 'replica']);
    for (const name of ['cluster', 'namespace', 'zone']) {
      expect(vars.find((v) => v.name === name), `${file} $${name}`).toMatchObject({
        type: 'query', datasource: { type: 'prometheus', uid: '${datasource}' }, includeAll: true, multi: true, allValue: '.*', hide: 0,
      });
    }
    const sources = Object.fromEntries(labelValuesQueries(d).map((q) => [q.variable, q]));
    expect(sources.cluster, `${file} $cluster`).toEqual({ variable: 'cluster', selector: 'tunnelwatch_tunnel_info', label: 'cluster' });
    expect(sources.namespace, `${file} $namespace`).toEqual({ variable: 'namespace', selector: 'tunnelwatch_tunnel_info{cluster=~"$cluster"}', label: 'namespace' });
    expect(sources.zone, `${file} $zone`).toEqual({ variable: 'zone', selector: 'tunnelwatch_tunnel_info{cluster=~"$cluster", namespace=~"$namespace"}', label: 'zone' });
    // All (.*) matches the replicas without a zone too: the description says so.
    expect(vars.find((v) => v.name === 'zone'), `${file} $zone`).toMatchObject({
      label: 'Zone', description: 'The replicas\' availability zone (identity.zone); All includes replicas without one',
    });
    expect(new RegExp(`^(?:${String(vars.find((v) => v.name === 'zone')?.allValue)})$`).test(''), `${file} $zone All matches the empty zone`).toBe(true);
    for (const name of ['tunnel', 'replica']) {
      const selector = sources[name]?.selector ?? '';
      expect(scopeProblems(substitute(selector, VALUES, file)), `${file} $${name}: ${selector}`).toEqual([]);
    }
  });

  it('has queries and joins to check in every dashboard', () => {
    for (const file of PROMETHEUS_DASHBOARDS) {
      const joins = scoped.filter((q) => q.file === file && /\* on \(cluster, namespace, job, instance\) group_left \([^)]*\) tunnelwatch_tunnel_info\{/.test(q.expr));
      expect(joins.length, file).toBeGreaterThanOrEqual(5);
    }
  });

  it.each(scoped.map((q) => [`${q.panel} ${q.refId}`, q] as const))('%s is scoped to $cluster, $namespace, $zone, $tunnel and $replica', (name, q) => {
    expect(scopeProblems(q.expr, QUERY_SCOPE), `${name}: ${q.expr}`).toEqual([]);
  });

  it.each(prometheusDashboards.map((d) => [d.file, d] as const))('%s links the runbooks beside the other dashboards', (file, d) => {
    const links = Array.isArray(d.json.links) ? d.json.links.filter(isObject) : [];
    expect(links.map((l) => l.type), file).toEqual(['dashboards', 'link']);
    expect(links[0], file).toMatchObject({ type: 'dashboards', tags: ['tunnelwatch'] });
    expect(links[1], file).toMatchObject({
      type: 'link', title: 'Runbooks', url: 'https://github.com/tunnelwatch/tunnelwatch/tree/main/docs/runbooks',
      tooltip: 'What each alert means and how to fix it (every tunnelwatch also serves them at /runbooks/<Alert>.md)', targetBlank: true, icon: 'doc',
    });
  });

  // The annotation, the metric it reads, and the labels its title and text must name.
  const ANNOTATIONS = [
    { name: 'Connector restarts', metric: 'tunnelwatch_connector_restarts_total', names: ['replica', 'reason'] },
    { name: 'Connector state changes', metric: 'tunnelwatch_connector_state', names: ['replica', 'state'] },
  ] as const;
  it.each(prometheusDashboards.map((d) => [d.file, d] as const))('%s marks connector restarts and state changes', (file, d) => {
    const list = annotationList(d).filter(isObject);
    const colors = list.map((a) => a.iconColor);
    expect(new Set(colors).size, `${file}: annotation colours ${colors.join(', ')}`).toBe(colors.length);
    for (const want of ANNOTATIONS) {
      const where = `${file} annotation "${want.name}"`;
      const a = list.find((x) => x.name === want.name);
      expect(a, where).toMatchObject({ datasource: { type: 'prometheus', uid: '${datasource}' }, enable: true, useValueForTime: false });
      const expr = String(a?.expr);
      const parsed = parse('promql', substitute(expr, VALUES, where));
      expect(parsed.errors, where).toEqual([]);
      expect(metricNames(parsed), where).toContain(want.metric);
      // Grafana names an event from the labels of its series: the outermost aggregation must keep them.
      const outer = parsed.nodes.find((n) => n.name === 'GroupingLabels' && n.parent === 'AggregateModifier')?.text ?? '';
      const kept = outer.replace(/[()\s]/g, '').split(',');
      for (const format of ['titleFormat', 'textFormat'] as const) {
        const text = a?.[format];
        expect(typeof text, `${where} ${format}`).toBe('string');
        const used = [...String(text).matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] ?? '');
        for (const label of used) expect(kept, `${where} ${format} names {{${label}}}`).toContain(label);
      }
      for (const label of want.names) expect(`${String(a?.titleFormat)} ${String(a?.textFormat)}`, where).toContain(`{{${label}}}`);
      for (const tag of String(a?.tagKeys).split(',')) expect(kept, `${where} tag key ${tag}`).toContain(tag);
      expect(String(a?.step), `${where} step`).toMatch(/^\d+[smh]$/);
    }
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
  /** The label filters of a parsed query (label, operator, value), where they stand. */
  const labelFilters = (p: Parsed): { label: string; op: string; value: string; from: number }[] => p.nodes
    .filter((n) => n.name === 'Matcher' && n.parent === 'LabelFilter')
    .map((n) => {
      const m = /^(\w+)\s*(=~|!~|!=|=)\s*(".*")$/s.exec(n.text);
      if (!m) throw new Error(`unexpected label filter ${n.text}`);
      return { label: m[1] ?? '', op: m[2] ?? '', value: JSON.parse(m[3] ?? '""') as string, from: n.from };
    });
  /** The labels the json stages of a parsed query extract, with where each stage stands. */
  const extracted = (p: Parsed): { label: string; field: string; from: number }[] => p.nodes
    .filter((n) => n.name === 'LabelExtractionExpression')
    .map((n) => {
      const m = /^(\w+)\s*=\s*(".*")$/s.exec(n.text);
      if (!m) throw new Error(`unexpected json extraction ${n.text}`);
      return { label: m[1] ?? '', field: JSON.parse(m[2] ?? '""') as string, from: n.from };
    });
  const selectorLabels = (p: Parsed): string[] => p.nodes.filter((n) => n.name === 'Identifier' && n.parent === 'Matcher' && n.grandparent === 'Matchers').map((n) => n.text);

  it('has the logs panels, each with queries that parse', () => {
    expect(panelsOf(logs).filter((p) => p.type === 'logs').length).toBeGreaterThanOrEqual(1);
    expect(logql.length).toBeGreaterThanOrEqual(3);
    for (const q of logql) expect(q.parsed.errors, `${q.panel}: ${q.expr}`).toEqual([]);
  });

  it('has the streams textbox variable right after the loki datasource, job="tunnelwatch" by default', () => {
    const vars = variablesOf(logs);
    const at = vars.findIndex((v) => v.name === 'streams');
    expect(vars[at - 1]?.name).toBe('loki');
    const streams = vars[at];
    expect(streams).toMatchObject({ type: 'textbox', label: 'Log streams', query: STREAMS, current: { text: STREAMS, value: STREAMS } });
    expect(streams?.options).toEqual([{ selected: true, text: STREAMS, value: STREAMS }]);
    // The description names both cases: tunnelwatch's own Loki sink, and a collector reading stdout.
    for (const words of ['job="tunnelwatch"', 'Loki sink', 'Promtail', 'Alloy', 'namespace="cloudflare", container="tunnelwatch"']) expect(String(streams?.description)).toContain(words);
  });

  it('selects streams by $streams alone, never by a label only tunnelwatch\'s Loki sink sets', () => {
    // The sink's own labels, which a collector reading stdout does not set.
    expect(streamLabelNames).toEqual(expect.arrayContaining(['job', 'source', 'level', 'tunnel_id', 'replica', 'zone']));
    for (const q of logql) {
      expect(q.expr, q.panel).toMatch(/\{\$\{streams\}\}|\{\$streams\}/);
      expect(selectorLabels(q.parsed), q.panel).toEqual(['job']);
      // Whatever $streams holds is the whole selector: a collector's labels leave no other matcher.
      const collector = parse('logql', substitute(q.expr, { ...VALUES, streams: 'namespace="cloudflare", container="tunnelwatch"' }, q.panel));
      expect(collector.errors, q.panel).toEqual([]);
      expect(selectorLabels(collector), q.panel).toEqual(['namespace', 'container']);
    }
  });

  it('filters source, tunnel, replica and level after a json stage extracting them from the record', () => {
    const cloudflared = logql.filter((q) => /\| json\b.*"event"/.test(q.expr));
    expect(cloudflared.length).toBeGreaterThanOrEqual(3);
    for (const q of logql) {
      const fields = extracted(q.parsed);
      const filters = labelFilters(q.parsed);
      // Every filtered label comes from the JSON line, extracted by a stage standing before the filter, under its own
      // name: where it is a stream label too (the Loki sink's), Loki names the extracted one <label>_extracted and the
      // filter reads the stream label, which has the same value.
      for (const f of filters) {
        const from = fields.find((x) => x.label === f.label);
        expect(from, `${q.panel}: ${f.label} is filtered but not extracted`).toBeDefined();
        expect(from?.field, `${q.panel}: ${f.label}`).toBe(f.label);
        expect(from?.from ?? Infinity, `${q.panel}: ${f.label} filtered before the json stage`).toBeLessThan(f.from);
      }
      const filter = (label: string): string | undefined => filters.find((f) => f.label === label && f.op === '=~')?.value;
      expect(filter('tunnel_id'), q.panel).toBe(VALUES.tunnel);
      expect(filter('replica'), q.panel).toBe(VALUES.replica);
    }
    for (const q of cloudflared) expect(labelFilters(q.parsed).find((f) => f.label === 'source'), q.panel).toMatchObject({ op: '=', value: 'cloudflared' });
    // The level: a name as the sink's stream label, pino's number in the JSON line. The filter takes both.
    const levels = logql.flatMap((q) => labelFilters(q.parsed).filter((f) => f.label === 'level').map((f) => ({ ...f, panel: q.panel })));
    expect(levels.length).toBeGreaterThanOrEqual(1);
    for (const f of levels) {
      const accepted = f.value.split('|');
      for (const n of [40, 50, 60]) {
        expect(accepted, `${f.panel}: level ${String(n)}`).toContain(String(n));
        expect(accepted, `${f.panel}: level ${levelName(n)}`).toContain(levelName(n));
      }
      expect(accepted, f.panel).not.toContain('30');
      expect(accepted, f.panel).not.toContain(levelName(30));
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
      for (const f of labelFilters(q.parsed).filter((x) => x.label === 'event')) {
        for (const e of f.value.split('|')) expect([...EVENTS, ...EVENT_CHOICE.split('|')], `${q.panel}: event ${e}`).toContain(e);
      }
    }
    expect(isObject(eventVariable)).toBe(true);
  });
});

// Thresholds where a value has a meaning (issue: "thresholds where a value has a meaning"). Where an alert rule in
// alerts/tunnelwatch.rules.yaml draws the line, the number is read from the rule, so a rule changed without its
// dashboards fails here; where none does, the panel's description says why its value was chosen.
describe('thresholds in the dashboards', () => {
  interface Rule { readonly alert?: string; readonly expr: string; readonly labels?: { readonly severity?: string } }
  const rules = (parseYaml(readFileSync(new URL('../alerts/tunnelwatch.rules.yaml', import.meta.url), 'utf8')) as { groups: { rules: Rule[] }[] })
    .groups.flatMap((g) => g.rules);
  /** The number `pattern` captures in the expression of the alert `name` (of `severity`, when the name has several rules). */
  const ruleValue = (name: string, pattern: RegExp, severity?: string): number => {
    const found = rules.filter((r) => r.alert === name && (severity === undefined || r.labels?.severity === severity));
    if (found.length !== 1) throw new Error(`alerts/tunnelwatch.rules.yaml: ${String(found.length)} rules ${name} ${severity ?? ''}`);
    const m = pattern.exec(found[0]?.expr ?? '');
    if (!m) throw new Error(`alerts/tunnelwatch.rules.yaml: ${name} does not match ${String(pattern)}`);
    return Number(m[1]);
  };
  const settings = settingsSchema.parse({});
  const DAY = 86400;

  const haReplicas = ruleValue('TunnelHALost', /\)\s*<\s*(\d+)\s*$/);
  const sameZone = ruleValue('TunnelReplicasSameZone', /\)\s*==\s*(\d+)\s*$/);
  const crashLoop = ruleValue('TunnelConnectorCrashLooping', /\)\s*>\s*(\d+)\s*or/);
  const certWarning = ruleValue('TunnelOriginCertificateExpiring', /<\s*(\d+)\s*\*\s*86400/, 'warning');
  const certCritical = ruleValue('TunnelOriginCertificateExpiring', /<\s*(\d+)\s*\*\s*86400/, 'critical');
  const lagSeconds = ruleValue('TunnelLogShippingBehind', /oldest_age_seconds[^]*?\)\s*>\s*(\d+)\s*or/);
  const dropped = ruleValue('TunnelLogShippingBehind', /records_dropped_total[^]*?\)\s*>\s*(\d+)\s*$/);
  // Some connections: registered_connections > N, below the expected (cloudflared.haConnections).
  const someConnections = ruleValue('TunnelConnectorDegraded', /registered_connections\s*>\s*(\d+)/);
  const downState = ruleValue('TunnelConnectorUnhealthy', /state="down"[^]*?==\s*(\d+)\s*$/);
  const originDown = ruleValue('TunnelOriginUnreachable', /\)\s*==\s*(\d+)\s*$/);
  const edgeFailed = ruleValue('TunnelEdgeAPIUnavailable', /\)\s*==\s*(\d+)\s*$/);
  const crashLoopOpen = ruleValue('TunnelConnectorCrashLooping', /crash_loop[^]*?==\s*(\d+)\s*$/);
  const expected = settings.cloudflared.haConnections;
  const spoolMax = settings.logs.spoolMaxBytes;

  type Step = readonly [color: string, from: number | null];
  /** Registered connections: red at none (TunnelConnectorUnhealthy), orange for some (TunnelConnectorDegraded), green from the expected. */
  const CONNECTIONS: Step[] = [['red', null], ['orange', someConnections + 1], ['green', expected]];
  /** A 0/1 value whose 0 an alert fires on. */
  const UP: Step[] = [['red', null], ['green', 1]];
  const EXPECTED: readonly { file: string; title: string; steps: Step[]; alert?: string }[] = [
    { file: 'tunnel-overview.json', title: 'Healthy replicas', steps: [['red', null], ['orange', 1], ['green', haReplicas]], alert: 'TunnelHALost' },
    { file: 'tunnel-overview.json', title: 'Zones with a healthy replica', steps: [['red', null], ['orange', sameZone], ['green', sameZone + 1]], alert: 'TunnelReplicasSameZone' },
    { file: 'tunnel-overview.json', title: 'Edge connections', steps: [['red', null], ['orange', 1], ['green', haReplicas * expected]], alert: 'TunnelHALost' },
    { file: 'tunnel-overview.json', title: 'Registered connections by replica', steps: CONNECTIONS, alert: 'TunnelConnectorDegraded' },
    // No rule: 99 % and 95 % success.
    { file: 'tunnel-overview.json', title: 'Error ratio', steps: [['green', null], ['orange', 0.01], ['red', 0.05]] },
    { file: 'tunnel-overview.json', title: 'Origins up', steps: UP, alert: 'TunnelOriginUnreachable' },
    { file: 'tunnel-overview.json', title: 'Firing alerts', steps: [['green', null], ['red', 1]] },
    { file: 'tunnel-overview.json', title: 'Restarts in range', steps: [['green', null], ['orange', 1], ['red', crashLoop + 1]], alert: 'TunnelConnectorCrashLooping' },
    { file: 'connector-detail.json', title: 'Registered connections', steps: CONNECTIONS, alert: 'TunnelConnectorUnhealthy' },
    { file: 'connector-detail.json', title: 'cloudflared process', steps: UP, alert: 'TunnelConnectorCrashLooping' },
    { file: 'connector-detail.json', title: 'Connection timeline per HA slot', steps: UP },
    // No rule: the nearest colo is tens of milliseconds away.
    { file: 'connector-detail.json', title: 'QUIC round-trip time', steps: [['green', null], ['orange', 0.1], ['red', 0.3]] },
    { file: 'connector-detail.json', title: 'Registered connections by view', steps: CONNECTIONS, alert: 'TunnelConnectorDegraded' },
    { file: 'connector-detail.json', title: 'Spool size', steps: [['green', null], ['orange', Math.round(spoolMax * 0.75)], ['red', Math.round(spoolMax * 0.9)]], alert: 'TunnelLogShippingBehind' },
    { file: 'connector-detail.json', title: 'Shipping lag', steps: [['green', null], ['orange', lagSeconds]], alert: 'TunnelLogShippingBehind' },
    { file: 'connector-detail.json', title: 'Records lost', steps: [['green', null], ['red', dropped + 1]], alert: 'TunnelLogShippingBehind' },
    { file: 'connector-detail.json', title: 'Collector success', steps: [['red', null], ['green', edgeFailed + 1]], alert: 'TunnelEdgeAPIUnavailable' },
    { file: 'origins.json', title: 'Origin up/down per rule', steps: [['red', null], ['green', originDown + 1]], alert: 'TunnelOriginUnreachable' },
    { file: 'origins.json', title: 'Probe duration', steps: [['green', null], ['red', settings.origins.timeout / 1000]] },
    // HTTP's error classes; no rule (a probe accepts any status unless okStatus narrows it).
    { file: 'origins.json', title: 'HTTP status of the last probe', steps: [['green', null], ['orange', 400], ['red', 500]] },
    { file: 'origins.json', title: 'Certificate expiry', steps: [['red', null], ['orange', certCritical * DAY], ['green', certWarning * DAY]], alert: 'TunnelOriginCertificateExpiring' },
  ];
  // Counts and rates whose size depends on traffic or on why: no line means anything on them.
  const NONE: readonly { file: string; title: string }[] = [
    { file: 'tunnel-overview.json', title: 'Requests' }, { file: 'tunnel-overview.json', title: 'Restarts' },
    { file: 'connector-detail.json', title: 'Restarts by reason' }, { file: 'connector-detail.json', title: 'Registration failures by error' },
    { file: 'connector-detail.json', title: 'Reconnects' }, { file: 'connector-detail.json', title: 'QUIC packet loss' },
    { file: 'connector-detail.json', title: 'Records shipped and retried' }, { file: 'origins.json', title: 'Responses by status code' },
    { file: 'logs.json', title: 'Connector events' }, { file: 'logs.json', title: 'Disconnects by error' },
  ];

  const panel = (file: string, title: string): Json => {
    const found = panelsOf(byFile(file)).filter((p) => p.title === title);
    if (found.length !== 1) throw new Error(`dashboards/${file}: ${String(found.length)} panels "${title}"`);
    return found[0] ?? {};
  };
  const defaultsOf = (p: Json): Json => (isObject(p.fieldConfig) && isObject(p.fieldConfig.defaults) ? p.fieldConfig.defaults : {});
  const stepsOf = (thresholds: unknown): Step[] => (isObject(thresholds) && Array.isArray(thresholds.steps) ? thresholds.steps.filter(isObject) : [])
    .map((s) => [String(s.color), typeof s.value === 'number' ? s.value : null]);

  it('reads the rules\' thresholds', () => {
    for (const v of [haReplicas, sameZone, crashLoop, certWarning, certCritical, lagSeconds, expected, spoolMax]) expect(v).toBeGreaterThan(0);
    expect([dropped, someConnections, originDown, edgeFailed]).toEqual([0, 0, 0, 0]);
    expect([downState, crashLoopOpen]).toEqual([1, 1]);
  });

  it.each(EXPECTED.map((e) => [`${e.file} "${e.title}"`, e] as const))('%s has the thresholds its meaning gives', (_name, e) => {
    const p = panel(e.file, e.title);
    const d = defaultsOf(p);
    expect(stepsOf(d.thresholds)).toEqual(e.steps);
    expect(isObject(d.thresholds) && d.thresholds.mode).toBe('absolute');
    if (p.type !== 'table') expect(isObject(d.color) && d.color.mode, 'coloured by thresholds or a palette').toMatch(/^(thresholds|palette-classic)$/);
    if (p.type === 'stat') expect(isObject(p.options) && p.options.colorMode).toBe('value');
    if (p.type === 'stat' || p.type === 'bargauge') expect(isObject(d.color) && d.color.mode).toBe('thresholds');
    if (e.alert !== undefined) expect(String(p.description), 'the description names the alert').toContain(e.alert);
  });

  it('colours the crash-loop breaker red when it is open, as TunnelConnectorCrashLooping fires', () => {
    const p = panel('connector-detail.json', 'cloudflared process');
    const overrides = isObject(p.fieldConfig) && Array.isArray(p.fieldConfig.overrides) ? p.fieldConfig.overrides.filter(isObject) : [];
    const crash = overrides.find((o) => isObject(o.matcher) && o.matcher.id === 'byFrameRefID' && o.matcher.options === 'B');
    const props = Array.isArray(crash?.properties) ? crash.properties.filter(isObject) : [];
    expect(stepsOf(props.find((x) => x.id === 'thresholds')?.value)).toEqual([['green', null], ['red', crashLoopOpen]]);
  });

  it.each(NONE.map((e) => [`${e.file} "${e.title}"`, e] as const))('%s draws no threshold', (_name, e) => {
    expect(stepsOf(defaultsOf(panel(e.file, e.title)).thresholds)).toHaveLength(1);
  });

  it('shows every threshold of a timeseries on the graph, and no unit-less duration or ratio', () => {
    const series = dashboards.flatMap((d) => panelsOf(d).filter((p) => p.type === 'timeseries').map((p) => ({ where: `${d.file} "${String(p.title)}"`, d: defaultsOf(p) })));
    expect(series.filter((s) => stepsOf(s.d.thresholds).length > 1).length).toBeGreaterThanOrEqual(8);
    for (const s of series) {
      const custom = isObject(s.d.custom) ? s.d.custom : {};
      const mode = isObject(custom.thresholdsStyle) ? custom.thresholdsStyle.mode : undefined;
      if (stepsOf(s.d.thresholds).length > 1) {
        expect(Object.values(GraphThresholdsStyleMode), s.where).toContain(mode);
        expect(mode, s.where).not.toBe(GraphThresholdsStyleMode.Off);
      }
    }
    expect(defaultsOf(panel('tunnel-overview.json', 'Error ratio')).unit).toBe('percentunit');
    for (const title of ['QUIC round-trip time', 'Shipping lag']) expect(defaultsOf(panel('connector-detail.json', title)).unit, title).toBe('s');
    expect(defaultsOf(panel('connector-detail.json', 'Spool size')).unit).toBe('bytes');
    expect(defaultsOf(panel('origins.json', 'Probe duration')).unit).toBe('s');
    expect(defaultsOf(panel('origins.json', 'Certificate expiry')).unit).toBe('s');
  });

  it('colours every state of a state timeline: healthy green, degraded orange, down red', () => {
    const timelines = dashboards.flatMap((d) => panelsOf(d).filter((p) => p.type === 'state-timeline').map((p) => ({ where: `${d.file} "${String(p.title)}"`, p })));
    expect(timelines.length).toBeGreaterThanOrEqual(8);
    for (const { where, p } of timelines) {
      const mappings = Array.isArray(defaultsOf(p).mappings) ? (defaultsOf(p).mappings as unknown[]).filter(isObject) : [];
      const options = Object.values(mappings.find((m) => m.type === 'value')?.options ?? {}).filter(isObject);
      expect(options.length, where).toBeGreaterThanOrEqual(2);
      for (const o of options) expect(typeof o.color, `${where} ${String(o.text)}`).toBe('string');
      const colour = Object.fromEntries(options.map((o) => [String(o.text), o.color]));
      if ('healthy' in colour) expect(colour, where).toMatchObject({ healthy: 'green', degraded: 'orange', down: 'red' });
      if ('up' in colour) expect(colour, where).toMatchObject({ up: 'green', down: 'red' });
      if ('ok' in colour) expect(colour, where).toMatchObject({ ok: 'green', failed: 'red' });
    }
  });
});
