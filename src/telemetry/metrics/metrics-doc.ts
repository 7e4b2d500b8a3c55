// Renders docs/metrics.md from a registry, so the reference can never drift from the code.
import type { Registry } from 'prom-client';

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
