// Trend charts as inline SVG shapes, drawn from the history alone. The SVG stretches to its box
// (preserveAspectRatio none) so one drawing fits a phone and a desktop; text would stretch with it, so every
// label is HTML around the chart. Pure.
import { HISTORY_SAMPLES, type HistorySample } from '../../state/index.js';
import { escapeHtml } from './html.js';

export const VIEW_W = 1000;
export const VIEW_H = 100;

/** The narrowest window drawn, in samples: a few samples do not fill the whole width. */
const MIN_WINDOW_SAMPLES = 20;
/** Samples further apart than this many intervals have a gap between them (tunnelwatch was stopped or stalled). */
const GAP_INTERVALS = 2;

export interface TimeDomain {
  readonly start: number;
  readonly end: number;
}

/** The stretch of time one sample stands for, and its value there. */
export interface Span<T> {
  readonly from: number;
  readonly to: number;
  readonly value: T;
}

/** Up to now, back to the oldest sample's interval; at least MIN_WINDOW_SAMPLES intervals, at most the ring's span. */
export function timeDomain(samples: readonly HistorySample[], intervalMs: number, now: number): TimeDomain {
  const end = Math.max(now, samples.at(-1)?.at ?? now);
  const oldest = samples[0]?.at ?? end;
  // The oldest sample stands for the interval before it.
  const width = Math.min(Math.max(end - oldest + intervalMs, MIN_WINDOW_SAMPLES * intervalMs), HISTORY_SAMPLES * intervalMs);
  return { start: end - width, end };
}

/**
 * Runs of touching spans: each sample stands for the stretch since the one before (its reconnects were counted
 * there), or for one interval after a gap or at the start. A sample without a value, or with one no chart can
 * draw (NaN, Infinity), is left blank and ends its run.
 */
export function runs<T>(samples: readonly HistorySample[], value: (s: HistorySample) => T | undefined, intervalMs: number): Span<T>[][] {
  const drawable = (s: HistorySample): T | undefined => {
    const v = value(s);
    return typeof v === 'number' && !Number.isFinite(v) ? undefined : v;
  };
  const out: Span<T>[][] = [];
  let current: Span<T>[] = [];
  let previous: HistorySample | undefined;
  for (const s of samples) {
    const v = drawable(s);
    const close = previous !== undefined && s.at - previous.at <= GAP_INTERVALS * intervalMs;
    if (v === undefined || !close) {
      if (current.length > 0) out.push(current);
      current = [];
    }
    if (v !== undefined) current.push({ from: close && previous !== undefined ? previous.at : s.at - intervalMs, to: s.at, value: v });
    previous = s;
  }
  if (current.length > 0) out.push(current);
  return out;
}

const round = (n: number): number => Math.round(n * 10) / 10;
const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

const xOf = (t: number, d: TimeDomain): number => round(clamp((t - d.start) / (d.end - d.start), 0, 1) * VIEW_W);

/** 0 at the bottom (above a 2-unit margin so a zero line shows), `max` near the top. */
const yOf = (v: number, max: number): number => round(VIEW_H - 2 - clamp(v / max, 0, 1) * (VIEW_H - 8));

/** 1, 2 or 5 times a power of ten, at least `v`: the top of a scale. */
export function niceMax(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  const nice = [1, 2, 5, 10].map((m) => m * power).find((m) => m >= v) ?? v;
  return Number.isFinite(nice) ? nice : v;
}

/** Coloured bands, one per stretch of equal values. */
export function bands<T extends string>(spans: readonly Span<T>[][], colour: (v: T) => string, d: TimeDomain): string {
  const merged: Span<T>[] = [];
  for (const run of spans) {
    for (const span of run) {
      const last = merged.at(-1);
      if (last !== undefined && last.value === span.value && last.to === span.from) merged[merged.length - 1] = { ...last, to: span.to };
      else merged.push(span);
    }
  }
  return merged
    .map((s) => ({ x: xOf(s.from, d), w: xOf(s.to, d) - xOf(s.from, d), s }))
    .filter(({ w }) => w > 0)
    .map(({ x, w, s }) => `<rect x="${x}" y="0" width="${round(w)}" height="${VIEW_H}" fill="${colour(s.value)}"><title>${escapeHtml(s.value)}</title></rect>`)
    .join('');
}

/** A step line per run: flat over each sample's span, vertical where the value changes. */
export function steps(spans: readonly Span<number>[][], max: number, colour: string, d: TimeDomain): string {
  return spans
    .map((run) => {
      const [first] = run;
      if (first === undefined) return '';
      let path = `M${xOf(first.from, d)} ${yOf(first.value, max)}`;
      let y = yOf(first.value, max);
      for (const span of run) {
        const next = yOf(span.value, max);
        if (next !== y) path += `H${xOf(span.from, d)}V${next}`;
        y = next;
      }
      path += `H${xOf(run.at(-1)?.to ?? first.to, d)}`;
      return `<path d="${path}" fill="none" stroke="${colour}" stroke-width="2" vector-effect="non-scaling-stroke"/>`;
    })
    .join('');
}

/** A bar over each sample's span whose value is above zero. */
export function bars(spans: readonly Span<number>[][], max: number, colour: string, d: TimeDomain): string {
  return spans
    .flat()
    .filter((s) => s.value > 0)
    .map((s) => {
      const x = xOf(s.from, d);
      // At least 2 units wide, so one reconnect among 720 samples still shows.
      const w = Math.max(2, xOf(s.to, d) - x);
      const y = yOf(s.value, max);
      return `<rect x="${x}" y="${y}" width="${round(w)}" height="${round(VIEW_H - y)}" fill="${colour}"/>`;
    })
    .join('');
}

/** A dashed horizontal line at `v`, e.g. the expected connections. */
export const reference = (v: number, max: number): string =>
  `<line x1="0" x2="${VIEW_W}" y1="${yOf(v, max)}" y2="${yOf(v, max)}" stroke="#5b6475" stroke-dasharray="6 4" vector-effect="non-scaling-stroke"/>`;

export const svg = (chart: string, label: string, body: string, extraClass = ''): string =>
  `<svg class="chart${extraClass}" data-chart="${escapeHtml(chart)}" viewBox="0 0 ${VIEW_W} ${VIEW_H}" preserveAspectRatio="none" role="img" aria-label="${escapeHtml(label)}"><title>${escapeHtml(label)}</title>${body}</svg>`;
