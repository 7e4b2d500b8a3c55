// Renders docs/metrics.md from a registry, so the reference can never drift from the code.
import type { Registry } from 'prom-client';
import type { HealthSnapshot } from '../state/snapshot.js';
import { buildRegistry, type MetricSet } from './registry.js';

interface Described {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A markdown table of every metric the registry defines (name, type, labels, help), in registration order. */
export function renderMetricsDoc(registry: Registry): string {
  let out =
    '# Metrics\n\n' +
    'Every metric tunnelwatch serves on `/metrics` (as run on Linux). Values are in base units (seconds, bytes);\n' +
    'a metric whose value is not known yet has no series rather than a 0. This file is generated from the\n' +
    'registry by `npm run docs`; a test fails when they differ.\n\n' +
    '| name | type | labels | help |\n| --- | --- | --- | --- |\n';
  for (const metric of registry.getMetricsAsArray() as unknown as Described[]) {
    const labels = (metric.labelNames ?? []).map((l) => `\`${l}\``).join(', ');
    out += `| \`${metric.name}\` | ${metric.type} | ${labels} | ${cell(metric.help)} |\n`;
  }
  return out;
}

const EMPTY_SNAPSHOT: HealthSnapshot = {
  at: 0,
  state: 'unknown',
  since: 0,
  reasons: [],
  expectedConnections: 0,
  registeredConnections: 0,
  connections: [],
  process: { phase: 'unknown' },
  views: {},
  origins: [],
  edge: { status: 'unknown', configured: false, connectors: [] },
  transitions: [],
};

/** Metric sets the CLI adds to buildRegistry besides the built-in ones; docs/metrics.md lists them too. */
const ADDED_SETS: readonly MetricSet[] = [];

/** docs/metrics.md: the full registry tunnelwatch serves (values do not matter, only definitions). */
export function renderFullMetricsDoc(): string {
  const registry = buildRegistry(
    { snapshot: () => EMPTY_SNAPSHOT, connectorMetrics: () => undefined, identity: {}, build: { version: '', nodeVersion: '' } },
    ADDED_SETS,
  );
  return renderMetricsDoc(registry);
}
