// The shipped Prometheus rule file (alerts/tunnelwatch.rules.yaml) made fit for a site, as a monitoring mixin's
// parameters would: its runbook links pointed at the site's own copy of docs/runbooks, and the PrometheusRule
// manifest for the Prometheus Operator built from the same groups. Pure: text in, text out.
import { parse, stringify } from 'yaml';
import { RULES_RUNBOOK_BASE_URL } from '../config/index.js';

const OPERATOR_HEADER = `# Generated from alerts/tunnelwatch.rules.yaml by scripts/prometheus-rule.ts; do not edit.
# The Prometheus Operator loads it only if the PrometheusRule matches its ruleSelector
# (kube-prometheus-stack: the label release: <helm release>); the component components/kube-prometheus-stack adds it.
`;

/** The rule file with every `runbook_url` under `baseUrl` instead of the default base; comments kept. */
export function withRunbookBase(rulesYaml: string, baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return rulesYaml.replaceAll(`runbook_url: "${RULES_RUNBOOK_BASE_URL}/`, `runbook_url: "${base}/`);
}

/** The labels every join keeps and every per-replica rule aggregates by, in the shipped file. */
const SHIPPED_GROUPING = 'cluster, namespace, ';
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The rule file grouped by `labels` instead of cluster and namespace (a mixin's groupLabels): every `by (...)`
 * and `on (...)` that keeps them keeps these instead; none keeps no grouping label at all.
 */
export function withGroupLabels(rulesYaml: string, labels: readonly string[]): string {
  const bad = labels.find((l) => !LABEL_NAME.test(l) || ['tunnel_id', 'replica', 'job', 'instance'].includes(l));
  if (bad !== undefined) throw new Error(`${JSON.stringify(bad)} cannot be a grouping label: give Prometheus label names other than tunnel_id, replica, job and instance`);
  return rulesYaml.replaceAll(SHIPPED_GROUPING, labels.map((l) => `${l}, `).join(''));
}

/** The rule file without its Watchdog, for a Prometheus that has one already (kube-prometheus-stack does). */
export function withoutWatchdog(rulesYaml: string): string {
  const out = rulesYaml.replace(/\n[ ]*# Always firing\.[^\n]*\n[ ]*- alert: Watchdog\n(?:[ ]{8,}[^\n]*\n)+/, '');
  if (out === rulesYaml) throw new Error('alerts/tunnelwatch.rules.yaml has no Watchdog rule where one was expected');
  return out;
}

/** The PrometheusRule manifest for a standard rule file's text (its `groups:` copied as they are). */
export function renderPrometheusRule(rulesYaml: string): string {
  const rules: unknown = parse(rulesYaml);
  if (typeof rules !== 'object' || rules === null || !('groups' in rules) || !Array.isArray(rules.groups)) {
    throw new Error('alerts/tunnelwatch.rules.yaml: expected a mapping with a groups: list (a Prometheus rule file)');
  }
  const manifest = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'tunnelwatch',
      labels: { 'app.kubernetes.io/name': 'tunnelwatch', 'app.kubernetes.io/component': 'alerting' },
    },
    spec: { groups: rules.groups },
  };
  return OPERATOR_HEADER + stringify(manifest, { lineWidth: 0 });
}
