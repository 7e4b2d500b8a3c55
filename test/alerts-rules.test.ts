import { existsSync, readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { BUILTIN_ALERTS, CRASH_LOOP_WINDOW_MS, LOG_DROP_WINDOW_MS, runbookUrl, type AlertDefinition } from '../src/alerts/catalogue.js';
import { RULES_RUNBOOK_BASE_URL } from '../src/config/schema.js';
import { renderFullMetricsDoc } from '../src/sidecar/registry.js';
import { PROMETHEUS_RULE_FILE, RULES_FILE } from '../scripts/prometheus-rule.js';
import { renderPrometheusRule } from '../src/alerts/index.js';
import { resultLabels } from './helpers/promql-labels.js';

// alerts/tunnelwatch.rules.yaml must be the built-in catalogue in PromQL: same alerts, severities, durations,
// label names and annotations. promtool itself runs in test/integration/promtool-rules.test.ts.

const rulesText = readFileSync(RULES_FILE, 'utf8');
const ruleSchema = z.union([
  z.strictObject({ record: z.string(), expr: z.string() }),
  z.strictObject({
    alert: z.string(),
    expr: z.string(),
    for: z.string().optional(),
    keep_firing_for: z.string().optional(),
    labels: z.record(z.string(), z.string()),
    annotations: z.record(z.string(), z.string()),
  }),
]);
const groups = z.strictObject({ groups: z.array(z.strictObject({ name: z.string(), rules: z.array(ruleSchema) })) }).parse(parse(rulesText)).groups;
// Alerts about tunnelwatch itself are Prometheus's alone (no built-in twin) and read Prometheus's own `up`.
const SELF_GROUP = 'tunnelwatch.self';
const selfRules = groups.filter((g) => g.name === SELF_GROUP).flatMap((g) => g.rules);
const rules = groups.filter((g) => g.name !== SELF_GROUP).flatMap((g) => g.rules);
const alertRules = rules.flatMap((r) => ('alert' in r ? [r] : []));
const recordingRules = rules.flatMap((r) => ('record' in r ? [r] : []));

const unitTests = z
  .object({
    tests: z.array(
      z.object({
        alert_rule_test: z.array(z.object({ alertname: z.string(), exp_alerts: z.array(z.object({ exp_labels: z.record(z.string(), z.string()) })) })).optional(),
        promql_expr_test: z.array(z.object({ expr: z.string() })).optional(),
      }),
    ),
  })
  .parse(parse(readFileSync(new URL('../alerts/tunnelwatch.rules.test.yaml', import.meta.url), 'utf8'))).tests;

const RUNBOOK_BASE = RULES_RUNBOOK_BASE_URL;
/** Kept beside the catalogue's labels by every per-replica rule, as the monitoring mixins keep them. */
const GROUPING = ['cluster', 'namespace'];
const perReplica = (d: AlertDefinition): boolean => d.labels.includes('replica');
const key = (d: { alert: string; severity?: string }): string => `${d.alert}/${d.severity ?? ''}`;
const sorted = (labels: Iterable<string>): string[] => [...labels].sort();

/** Prometheus durations as the rule file writes them (`1h`, `5m`, `30s`, `1h30m`); absent is 0. */
function durationMs(text: string | undefined): number {
  if (text === undefined) return 0;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!m || text === '') throw new Error(`unexpected duration ${text}: write it as e.g. 1h, 5m or 30s`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

function ruleFor(d: AlertDefinition): (typeof alertRules)[number] {
  const rule = alertRules.find((r) => key({ alert: r.alert, severity: r.labels.severity }) === key(d));
  if (!rule) throw new Error(`alerts/tunnelwatch.rules.yaml has no rule for ${key(d)}`);
  return rule;
}

// Where each threshold appears in its rule, in the catalogue's unit; a new threshold needs an entry here.
const THRESHOLD_IN_EXPR: Readonly<Record<string, (t: number) => string>> = {
  TunnelConnectorCrashLooping: (t) => `) > ${t}\n`,
  TunnelHALost: (t) => `) < ${t}\n`,
  TunnelOriginCertificateExpiring: (t) => `- time() < ${t} * 86400\n`,
  TunnelLogShippingBehind: (t) => `) > ${t}\n`,
};

describe('alerts/tunnelwatch.rules.yaml against the built-in catalogue', () => {
  it('has one alert rule per catalogue definition, keyed by alert name and severity', () => {
    expect(sorted(alertRules.map((r) => key({ alert: r.alert, severity: r.labels.severity })))).toEqual(sorted(BUILTIN_ALERTS.map(key)));
  });

  it.each(BUILTIN_ALERTS.map((d) => [key(d), d] as const))('%s: same for, keep_firing_for, labels and annotations', (_name, d) => {
    const rule = ruleFor(d);
    expect({ for: durationMs(rule.for), keepFiringFor: durationMs(rule.keep_firing_for) }).toEqual({ for: d.forMs, keepFiringFor: d.keepFiringForMs });
    // Static labels would add label names the built-in alert lacks: severity is the only one.
    expect(rule.labels).toEqual({ severity: d.severity });
    const labels = resultLabels(rule.expr);
    expect(labels === 'scalar' || labels === 'unknown' ? labels : sorted(labels), 'the expression must aggregate by exactly the alert labels').toEqual(sorted(perReplica(d) ? [...GROUPING, ...d.labels] : d.labels));
    expect(rule.annotations).toEqual({ summary: d.summary, description: d.description, runbook_url: runbookUrl(d.alert, RUNBOOK_BASE) });
  });

  it('writes every threshold and window of the catalogue into the expression', () => {
    for (const d of BUILTIN_ALERTS.filter((x) => x.threshold !== undefined)) {
      const fragment = THRESHOLD_IN_EXPR[d.alert];
      expect(fragment, `${d.alert}: add its threshold to THRESHOLD_IN_EXPR`).toBeDefined();
      expect(ruleFor(d).expr).toContain(fragment?.(d.threshold ?? 0));
    }
    const crash = BUILTIN_ALERTS.find((d) => d.alert === 'TunnelConnectorCrashLooping');
    const logs = BUILTIN_ALERTS.find((d) => d.alert === 'TunnelLogShippingBehind');
    if (!crash || !logs) throw new Error('catalogue lost TunnelConnectorCrashLooping or TunnelLogShippingBehind');
    expect(ruleFor(crash).expr).toContain(`[${CRASH_LOOP_WINDOW_MS / 60_000}m]`);
    expect(ruleFor(logs).expr).toContain(`[${LOG_DROP_WINDOW_MS / 60_000}m]`);
  });
});

// Metric name → label names, from the registry's own table (the one docs/metrics.md is generated from).
const served = new Map(
  renderFullMetricsDoc()
    .split('\n')
    .flatMap((line) => {
      const m = /^\| `(tunnelwatch_[a-z0-9_]+)` \| \w+ \| ([^|]*) \|/.exec(line);
      return m?.[1] === undefined ? [] : [[m[1], (m[2] ?? '').match(/[a-z_]+/g) ?? []] as const];
    }),
);
const SCRAPE_LABELS = ['job', 'instance'];

/** Every `metric{label...}` selector in a PromQL expression. */
function selectors(expr: string): { metric: string; labels: string[] }[] {
  const out: { metric: string; labels: string[] }[] = [];
  parser.parse(expr).iterate({
    enter(n) {
      if (n.name !== 'VectorSelector') return;
      const id = n.node.getChild('Identifier');
      const matchers = n.node.getChild('LabelMatchers');
      const labels = matchers ? matchers.getChildren('UnquotedLabelMatcher').flatMap((m) => m.getChildren('LabelName')) : [];
      out.push({ metric: id ? expr.slice(id.from, id.to) : '', labels: labels.map((l) => expr.slice(l.from, l.to)) });
    },
  });
  return out;
}

describe('the alerts about tunnelwatch itself', () => {
  it('read only Prometheus\'s `up` of the tunnelwatch job, and each has a runbook', () => {
    expect(selfRules.map((r) => ('alert' in r ? r.alert : r.record))).toEqual(['TunnelwatchDown', 'TunnelwatchAbsent']);
    for (const r of selfRules) {
      expect(selectors(r.expr)).toEqual([{ metric: 'up', labels: ['job'] }]);
      if ('alert' in r) {
        expect(r.annotations.runbook_url).toBe(runbookUrl(r.alert, RUNBOOK_BASE));
        expect(existsSync(new URL(`../docs/runbooks/${r.alert}.md`, import.meta.url)), `write docs/runbooks/${r.alert}.md`).toBe(true);
      }
    }
  });
});

describe('the rules read only what tunnelwatch serves', () => {
  it.each(rules.map((r) => ['alert' in r ? r.alert : r.record, r.expr] as const))('%s', (_name, expr) => {
    for (const { metric, labels } of selectors(expr)) {
      const known = served.get(metric);
      expect(known, `${metric} is not a tunnelwatch metric`).toBeDefined();
      for (const label of labels) expect([...(known ?? []), ...SCRAPE_LABELS], `${metric} has no label ${label}`).toContain(label);
    }
  });
});

describe('alerts/tunnelwatch.rules.test.yaml', () => {
  it('fires every alert rule at least once, with exactly the catalogue labels', () => {
    for (const d of BUILTIN_ALERTS) {
      const fired = unitTests
        .flatMap((t) => t.alert_rule_test ?? [])
        .filter((t) => t.alertname === d.alert)
        .flatMap((t) => t.exp_alerts.map((a) => a.exp_labels))
        .filter((labels) => labels.severity === d.severity);
      expect(fired.length, `${key(d)} is never expected to fire`).toBeGreaterThan(0);
      for (const labels of fired) expect(sorted(Object.keys(labels).filter((l) => !GROUPING.includes(l)))).toEqual(sorted(['severity', ...d.labels]));
    }
  });

  it('evaluates every recording rule', () => {
    const tested = new Set(unitTests.flatMap((t) => t.promql_expr_test ?? []).map((t) => t.expr));
    for (const r of recordingRules) expect(tested, r.record).toContain(r.record);
  });
});

describe('runbooks', () => {
  it.each([...new Set(BUILTIN_ALERTS.map((d) => d.alert))])('docs/runbooks/%s.md exists with meaning, confirmation and fixes', (alert) => {
    const file = new URL(`../docs/runbooks/${alert}.md`, import.meta.url);
    expect(existsSync(file), `write docs/runbooks/${alert}.md`).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(`# ${alert}\n`)).toBe(true);
    for (const heading of ['## Meaning', '## Confirm', '## Causes and fixes']) expect(text).toContain(`\n${heading}\n`);
  });

  // The handbook's troubleshooting cases, each answered in the runbook of the alert that reports it.
  const CASES: readonly (readonly [string, string])[] = [
    ['TunnelConnectorUnhealthy', '### Cannot connect: token, outbound 443/7844, DNS, proxy'],
    ['TunnelOriginUnreachable', '### Tunnel up but 502'],
    ['TunnelHALost', '### Replica not visible'],
    ['TunnelHALost', '### Restart freezes traffic'],
    ['TunnelProtocolFallback', '### Slow SSH'],
    ['TunnelConfigInsecure', '### noTLSVerify instead of caPool'],
  ];
  it.each(CASES)('%s covers "%s"', (alert, heading) => {
    expect(readFileSync(new URL(`../docs/runbooks/${alert}.md`, import.meta.url), 'utf8')).toContain(`\n${heading}\n`);
  });
});

describe('deploy/kubernetes/base/prometheus-rule.yaml', () => {
  it('is the generator output for the current rule file (run `npx tsx scripts/prometheus-rule.ts`)', () => {
    expect(readFileSync(PROMETHEUS_RULE_FILE, 'utf8')).toBe(renderPrometheusRule(rulesText));
  });

  it('holds the rule groups unchanged', () => {
    const manifest = z
      .object({ apiVersion: z.string(), kind: z.string(), spec: z.object({ groups: z.unknown() }) })
      .parse(parse(renderPrometheusRule(rulesText)));
    expect(manifest.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(manifest.kind).toBe('PrometheusRule');
    expect(manifest.spec.groups).toEqual(z.object({ groups: z.unknown() }).parse(parse(rulesText)).groups);
  });
});

describe('resultLabels (the label check above)', () => {
  it.each([
    ['max by (a, b) (x * on (job, instance) group_left (a, b) y) == 1', ['a', 'b']],
    ['sum by (a) (x) < 2 and on (a) count by (a) (y) > 1', ['a']],
    ['max by (a) (x) > 3 or sum by (a) (y) > 0', ['a']],
    ['sum by (a, b) (x) / on (a) sum by (a) (y)', ['a']],
    ['vector(1)', []],
  ])('%s → %j', (expr, labels) => {
    const got = resultLabels(expr);
    expect(typeof got === 'string' ? got : sorted(got)).toEqual(sorted(labels));
  });

  it.each(['x == 1', 'sum without (a) (x)', 'topk by (a) (1, x)', 'max by (a) (x) or max by (b) (y)'])('%s → unknown', (expr) => {
    expect(resultLabels(expr)).toBe('unknown');
  });
});
