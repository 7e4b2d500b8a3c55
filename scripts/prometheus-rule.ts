// Generates deploy/kubernetes/base/prometheus-rule.yaml, a Prometheus Operator PrometheusRule holding the groups of
// alerts/tunnelwatch.rules.yaml unchanged, so clusters with the Operator load the same tested rules
// (npx tsx scripts/prometheus-rule.ts). test/alerts-rules.test.ts fails when the file is stale.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const RULES_FILE = new URL('../alerts/tunnelwatch.rules.yaml', import.meta.url);
export const PROMETHEUS_RULE_FILE = new URL('../deploy/kubernetes/base/prometheus-rule.yaml', import.meta.url);

const HEADER = `# Generated from alerts/tunnelwatch.rules.yaml by scripts/prometheus-rule.ts; do not edit.
# The Prometheus Operator loads it only if the PrometheusRule matches its ruleSelector
# (kube-prometheus-stack: the label release: <helm release>); the component components/kube-prometheus-stack adds it.
`;

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
  return HEADER + stringify(manifest, { lineWidth: 0 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(new URL('.', PROMETHEUS_RULE_FILE), { recursive: true });
  writeFileSync(PROMETHEUS_RULE_FILE, renderPrometheusRule(readFileSync(RULES_FILE, 'utf8')));
}
