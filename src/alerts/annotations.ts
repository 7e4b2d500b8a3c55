// Labels and annotations of one alert instance, rendered the way Prometheus renders the same rule: templates
// use `{{ $labels.<name> }}` only, and a label with an empty value is no label at all.
import { runbookUrl, type AlertDefinition, type Severity } from './catalogue.js';
import type { Labels } from './rules.js';

export interface Annotations {
  readonly summary: string;
  readonly description: string;
  readonly runbook_url: string;
  /** The diagnosed causes behind the alert with their first evidence, when tunnelwatch found any. */
  readonly cause?: string;
  /** What to do about the first cause, and where its runbook is. */
  readonly remediation?: string;
  /** The path of the newest incident bundle of the replica, on that replica's disk. */
  readonly incident?: string;
  /** The replica's self-fencing: fenced since when and why, or unfenced a short while ago. */
  readonly fence?: string;
}

const LABEL_REF = /\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Replaces each `{{ $labels.<name> }}` in `template` with the label's value (empty when absent). */
export function renderTemplate(template: string, labels: Labels): string {
  return template.replace(LABEL_REF, (_m, name: string) => labels[name] ?? '');
}

/** The full label set sent to Alertmanager: alertname, severity and the rule's labels, empty values dropped. */
/** Labels a rule may add beside its definition's: cluster and namespace, on per-replica alerts (rules.ts). */
const GROUPING_LABELS = ['cluster', 'namespace'];

export function alertLabels(definition: AlertDefinition, severity: Severity, ruleLabels: Labels): Labels {
  const out: Record<string, string> = { alertname: definition.alert, severity };
  for (const name of [...GROUPING_LABELS, ...definition.labels]) {
    const value = ruleLabels[name];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

export function alertAnnotations(definition: AlertDefinition, labels: Labels, runbookBaseUrl: string): Annotations {
  return {
    summary: renderTemplate(definition.summary, labels),
    description: renderTemplate(definition.description, labels),
    runbook_url: runbookUrl(definition.alert, runbookBaseUrl),
  };
}

/** A stable identity for a label set (Alertmanager's fingerprint plays the same role). */
export function labelsKey(labels: Labels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}
