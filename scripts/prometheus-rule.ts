// Generates deploy/kubernetes/base/prometheus-rule.yaml, a Prometheus Operator PrometheusRule holding the groups of
// alerts/tunnelwatch.rules.yaml unchanged, so clusters with the Operator load the same tested rules
// (npx tsx scripts/prometheus-rule.ts). test/alerts-rules.test.ts fails when the file is stale.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderPrometheusRule } from '../src/alerts/index.js';

export const RULES_FILE = new URL('../alerts/tunnelwatch.rules.yaml', import.meta.url);
export const PROMETHEUS_RULE_FILE = new URL('../deploy/kubernetes/base/prometheus-rule.yaml', import.meta.url);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(new URL('.', PROMETHEUS_RULE_FILE), { recursive: true });
  writeFileSync(PROMETHEUS_RULE_FILE, renderPrometheusRule(readFileSync(RULES_FILE, 'utf8')));
}
