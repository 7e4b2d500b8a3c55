import { describe, expect, it } from 'vitest';
import { niceMax, runs, timeDomain, VIEW_W } from '../src/server/page/chart.js';
import { renderTrends } from '../src/server/page/trends.js';
import type { HistorySample, HistoryView } from '../src/state/history.js';
import { NOW } from './helpers/health-snapshots.js';

const INTERVAL = 30_000;

const sample = (at: number, extra: Partial<HistorySample> = {}): HistorySample => ({ at, state: 'healthy', service: 'healthy', registered: 4, expected: 4, originsDown: 0, reconnects: 0, latencyMs: 12, ...extra });

/** `count` samples one interval apart, the newest at NOW. */
const series = (count: number, extra: (i: number) => Partial<HistorySample> = () => ({})): HistorySample[] =>
  Array.from({ length: count }, (_, i) => sample(NOW - (count - 1 - i) * INTERVAL, extra(i)));

const view = (samples: HistorySample[]): HistoryView => ({ intervalMs: INTERVAL, samples });

/** The `<svg data-chart="name">` element of the section. */
function chart(html: string, name: string): string {
  const m = new RegExp(`<svg class="chart[^"]*" data-chart="${name}"[\\s\\S]*?</svg>`).exec(html);
  if (m === null) throw new Error(`no ${name} chart in ${html}`);
  return m[0];
}

const numbers = (svg: string): number[] => [...svg.matchAll(/(?:[xy]\d?|width|height)="(-?[\d.]+)"|[MHV](-?[\d.]+)/g)].map((m) => Number(m[1] ?? m[2]));

describe('trends: the SVG renderer', () => {
  it('with no samples says when the first comes, and draws nothing', () => {
    const html = renderTrends(view([]), NOW);
    expect(html).toContain('<h2>Trends</h2>');
    expect(html).toContain('No samples yet: one is taken at start, then every 30s.');
    expect(html).not.toContain('<svg');
  });

  it('with one sample draws every chart, its interval at the right end of a window of 20 intervals', () => {
    const html = renderTrends(view([sample(NOW, { reconnects: 1 })]), NOW);
    for (const name of ['connector-state', 'service-state', 'connections', 'reconnects', 'latency']) expect(chart(html, name)).toMatch(/<(rect|path)/);
    expect(html).toContain('1 sample, one every 30s');
    expect(html).toContain('10m ago <time datetime="2026-11-27T11:50:00Z">');
    expect(timeDomain([sample(NOW)], INTERVAL, NOW)).toEqual({ start: NOW - 20 * INTERVAL, end: NOW });
    expect(chart(html, 'connector-state')).toContain('<rect x="950" y="0" width="50" height="100" fill="#1f8a3b">');
    expect(chart(html, 'connections')).toContain('<path d="M950 6H1000"');
  });

  it('colours the state bands, merging equal neighbours, one row for the connector and one for the service', () => {
    const samples = series(10, (i) => (i < 5 ? {} : { state: 'down', service: 'down', registered: 0 }));
    const html = renderTrends(view(samples), NOW);
    const connector = chart(html, 'connector-state');
    expect(connector.match(/<rect/g)).toHaveLength(2);
    expect(connector).toContain('fill="#1f8a3b"><title>healthy</title>');
    expect(connector).toContain('fill="#c62828"><title>down</title>');
    expect(chart(html, 'service-state')).toContain('<title>down</title>');
  });

  it('leaves a gap blank where no sample was taken, and breaks the lines there', () => {
    const before = series(5).map((s) => ({ ...s, at: s.at - 60 * INTERVAL }));
    const html = renderTrends(view([...before, ...series(5)]), NOW);
    expect(chart(html, 'connector-state').match(/<rect/g)).toHaveLength(2);
    expect(chart(html, 'connections').match(/<path/g)).toHaveLength(2);
    expect(chart(html, 'latency').match(/<path/g)).toHaveLength(2);
    // Each sample stands for the stretch since the one before; the first after the gap for one interval.
    const [first, second] = runs([...before, ...series(5)], (s) => s.registered, INTERVAL);
    expect(first?.at(-1)).toEqual({ from: before.at(-2)?.at, to: before.at(-1)?.at, value: 4 });
    expect(second?.[0]).toEqual({ from: NOW - 5 * INTERVAL, to: NOW - 4 * INTERVAL, value: 4 });
  });

  it('breaks the latency line where no origin had been probed, and draws reconnects as bars', () => {
    const samples = series(6, (i) => ({ ...(i === 2 ? { latencyMs: undefined } : {}), reconnects: i === 4 ? 3 : 0 }));
    const html = renderTrends(view(samples), NOW);
    expect(chart(html, 'latency').match(/<path/g)).toHaveLength(2);
    expect(chart(html, 'reconnects').match(/<rect/g)).toHaveLength(1);
    expect(html).toContain('3 connections lost in the window');
  });

  it('copes with a huge value: the scale grows, every coordinate stays inside the drawing', () => {
    const samples = series(8, (i) => ({ latencyMs: i === 3 ? 1e12 : 15, reconnects: i === 5 ? 1e9 : 0 }));
    const html = renderTrends(view(samples), NOW);
    for (const name of ['latency', 'reconnects', 'connections']) {
      for (const n of numbers(chart(html, name))) {
        expect(Number.isFinite(n), name).toBe(true);
        expect(n).toBeGreaterThanOrEqual(0);
        expect(n).toBeLessThanOrEqual(VIEW_W);
      }
    }
    expect(html).toContain('peak 11574d 1h');
    expect(html).toContain('scale 0–1000000000');
  });

  it('draws nothing for a value no chart can hold (NaN, Infinity) instead of breaking the SVG', () => {
    const samples = series(4, (i) => ({ latencyMs: i === 1 ? Number.POSITIVE_INFINITY : i === 2 ? Number.NaN : 20 }));
    const svg = chart(renderTrends(view(samples), NOW), 'latency');
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg.match(/<path/g)).toHaveLength(2);
  });

  it('rounds a scale up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 0.3, 1, 3, 7, 12, 4500, 1e12, Number.MAX_VALUE, Number.NaN].map(niceMax)).toEqual([1, 0.5, 1, 5, 10, 20, 5000, 1e12, Number.MAX_VALUE, 1]);
  });
});
