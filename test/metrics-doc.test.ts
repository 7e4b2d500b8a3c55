import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { computedCounter, computedGauge } from '../src/telemetry/metrics/computed-metric.js';
import { renderFullMetricsDoc } from '../src/sidecar/registry.js';
import { renderMetricsDoc } from '../src/telemetry/metrics/metrics-doc.js';

describe('docs/metrics.md', () => {
  it('is the render of the full registry (run `npm run docs` after changing a metric)', () => {
    expect(readFileSync(new URL('../docs/metrics.md', import.meta.url), 'utf8')).toBe(renderFullMetricsDoc());
  });

  it('lists every tunnelwatch metric once, with help', () => {
    const rows = renderFullMetricsDoc()
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    const names = rows.map((row) => /^\| `([^`]+)`/.exec(row)?.[1]);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^tunnelwatch_[a-z0-9_]+$/);
    expect(names).toContain('tunnelwatch_connector_state');
    expect(names).toContain('tunnelwatch_cloudflared_quic_smoothed_rtt_seconds');
    expect(names).toContain('tunnelwatch_process_cpu_seconds_total');
  });
});

describe('renderMetricsDoc', () => {
  it('renders name, type, labels and escaped help', () => {
    const registry = new Registry();
    computedGauge(registry, { name: 'x_info', help: 'A | B.', labelNames: ['a', 'b'], read: () => [] });
    computedCounter(registry, { name: 'y_total', help: 'Counts.', read: () => [] });
    expect(renderMetricsDoc(registry).split('\n').slice(-3)).toEqual(['| `x_info` | gauge | `a`, `b` | A \\| B. |', '| `y_total` | counter |  | Counts. |', '']);
  });
});
