// The Trends section: the last hours of the health model as tunnelwatch sampled them (state/history.ts), drawn
// as inline SVG: connector and service state bands, registered connections, reconnects and origin probe
// latency. Pure: the history and the clock in, HTML out.
import type { HistorySample, HistoryView } from '../../state/index.js';
import { bands, bars, niceMax, reference, runs, steps, svg, timeDomain, type TimeDomain } from './chart.js';
import { escapeHtml, formatDuration, formatInterval, iso } from './html.js';

// The badges' colours (style.ts), so a band reads like the badge above it.
const STATE_COLOURS: Readonly<Record<string, string>> = { healthy: '#1f8a3b', degraded: '#c77700', down: '#c62828' };
const colour = (state: string): string => STATE_COLOURS[state] ?? '#7d8595';

/** "850 ms", "4.2 s", "3m 5s". */
function formatLatency(ms: number): string {
  if (ms < 1000) return `${String(Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms);
}

const axis = (d: TimeDomain): string =>
  `<div class="axis"><span>${escapeHtml(formatDuration(d.end - d.start))} ago ${iso(d.start)}</span><span>now ${iso(d.end)}</span></div>`;

const figure = (title: string, note: string, body: string, d: TimeDomain): string =>
  `<figure><figcaption><strong>${escapeHtml(title)}</strong> <span class="dim">${note}</span></figcaption>${body}${axis(d)}</figure>`;

function states(samples: readonly HistorySample[], intervalMs: number, d: TimeDomain): string {
  const legend = ['healthy', 'degraded', 'down', 'unknown'].map((s) => `<span><span class="swatch b-${s}"></span>${s === 'unknown' ? 'inactive or unknown' : s}</span>`).join('');
  const row = (name: 'state' | 'service', label: string): string =>
    `<div class="meta">${label}</div>${svg(name === 'state' ? 'connector-state' : 'service-state', `${label} state over time`, bands(runs(samples, (s) => s[name], intervalMs), colour, d), ' band')}`;
  return figure('State', `<span class="legend">${legend}</span>`, `${row('state', 'connector')}${row('service', 'service')}`, d);
}

function connections(samples: readonly HistorySample[], intervalMs: number, d: TimeDomain): string {
  const last = samples.at(-1);
  const max = Math.max(1, ...samples.map((s) => Math.max(s.expected, s.registered)));
  const expected = last?.expected ?? max;
  const body = `${reference(expected, max)}${steps(runs(samples, (s) => s.registered, intervalMs), max, '#3d6fb4', d)}`;
  const note = last === undefined ? '' : `now ${String(last.registered)} of ${String(last.expected)} (dashed: expected) · scale 0–${String(max)}`;
  return figure('Registered connections', note, svg('connections', 'registered connections over time', body), d);
}

function reconnects(samples: readonly HistorySample[], intervalMs: number, d: TimeDomain): string {
  const counts = samples.map((s) => s.reconnects).filter((n) => Number.isFinite(n));
  const total = counts.reduce((a, b) => a + b, 0);
  const max = niceMax(Math.max(0, ...counts));
  const note = `${String(total)} connection${total === 1 ? '' : 's'} lost in the window · per ${formatInterval(intervalMs)} · scale 0–${String(max)}`;
  return figure('Reconnects', note, svg('reconnects', 'connections lost per sample', bars(runs(samples, (s) => s.reconnects, intervalMs), max, '#c77700', d)), d);
}

function latency(samples: readonly HistorySample[], intervalMs: number, d: TimeDomain): string {
  const values = samples.flatMap((s) => (s.latencyMs !== undefined && Number.isFinite(s.latencyMs) ? [s.latencyMs] : []));
  const max = niceMax(Math.max(0, ...values));
  const latest = samples.at(-1)?.latencyMs;
  const note = values.length === 0 ? 'no origin probed yet' : `now ${latest === undefined ? '–' : formatLatency(latest)} · peak ${formatLatency(Math.max(...values))} · scale 0–${formatLatency(max)}`;
  return figure('Origin probe latency (slowest origin)', escapeHtml(note), svg('latency', 'slowest origin probe over time', steps(runs(samples, (s) => s.latencyMs, intervalMs), max, '#6a3db4', d)), d);
}

export function renderTrends(history: HistoryView, now: number): string {
  const { samples, intervalMs } = history;
  if (samples.length === 0) {
    return `<section id="trends"><h2>Trends</h2><p class="dim">No samples yet: one is taken at start, then every ${escapeHtml(formatInterval(intervalMs))}.</p></section>`;
  }
  const d = timeDomain(samples, intervalMs, now);
  const count = `${String(samples.length)} sample${samples.length === 1 ? '' : 's'}, one every ${formatInterval(intervalMs)}`;
  return `<section id="trends"><h2>Trends</h2><p class="meta">${escapeHtml(count)}; blank stretches had no sample.</p><div class="trends">${states(samples, intervalMs, d)}${connections(samples, intervalMs, d)}${reconnects(samples, intervalMs, d)}${latency(samples, intervalMs, d)}</div></section>`;
}
