// Small read helpers over a parsed exposition. Each returns undefined when nothing matched, so callers can
// tell "not served" from a served zero.
import type { Exposition, MetricFamily, Sample } from './exposition.js';
import { parseSampleValue } from './exposition-line.js';

/** Label values a sample must carry; other labels on the sample are ignored. */
export type LabelMatch = Readonly<Record<string, string>>;

/** One cumulative histogram bucket: observations less than or equal to `le`. */
export interface HistogramBucket {
  readonly le: number;
  readonly count: number;
}

/** A histogram series assembled from its `_bucket`, `_sum` and `_count` samples, buckets sorted by `le`. */
export interface Histogram {
  readonly buckets: readonly HistogramBucket[];
  readonly sum: number;
  readonly count: number;
}

/** The family with this name, if served. */
export function findFamily(exposition: Exposition, name: string): MetricFamily | undefined {
  return exposition.families.find((f) => f.name === name);
}

/** True when the sample carries every label in `match` with the same value. */
export function matchesLabels(sample: Sample, match: LabelMatch): boolean {
  for (const [key, value] of Object.entries(match)) {
    if (sample.labels[key] !== value) return false;
  }
  return true;
}

/** Samples named `sampleName` (in any family) that carry the labels in `match`. */
export function findSamples(exposition: Exposition, sampleName: string, match: LabelMatch = {}): Sample[] {
  const found: Sample[] = [];
  for (const family of exposition.families) {
    if (!sampleName.startsWith(family.name)) continue;
    for (const sample of family.samples) {
      if (sample.name === sampleName && matchesLabels(sample, match)) found.push(sample);
    }
  }
  return found;
}

/** Value of the first sample named `sampleName` that carries the labels in `match`. */
export function getValue(exposition: Exposition, sampleName: string, match: LabelMatch = {}): number | undefined {
  return findSamples(exposition, sampleName, match)[0]?.value;
}

/** Sum of all samples named `sampleName` that carry the labels in `match`; undefined when none do. */
export function sumValues(exposition: Exposition, sampleName: string, match: LabelMatch = {}): number | undefined {
  const samples = findSamples(exposition, sampleName, match);
  return samples.length === 0 ? undefined : samples.reduce((total, s) => total + s.value, 0);
}

/**
 * Values of samples named `sampleName`, keyed by their value of label `key` and summed when several samples
 * share it (samples without the label are left out); undefined when no sample matched.
 */
export function valuesByLabel(
  exposition: Exposition,
  sampleName: string,
  key: string,
  match: LabelMatch = {},
): Record<string, number> | undefined {
  const samples = findSamples(exposition, sampleName, match);
  if (samples.length === 0) return undefined;
  const out = Object.create(null) as Record<string, number>;
  for (const s of samples) {
    const k = s.labels[key];
    if (k !== undefined) out[k] = (out[k] ?? 0) + s.value;
  }
  return out;
}

/**
 * The histogram series of `family` whose labels, apart from `le`, are exactly `labels`; undefined when
 * its `_sum` or `_count` is missing or a bucket bound is not a number.
 */
export function readHistogram(family: MetricFamily, labels: LabelMatch = {}): Histogram | undefined {
  const wanted = Object.keys(labels).length;
  const exact = (s: Sample, extra: number): boolean =>
    Object.keys(s.labels).length === wanted + extra && matchesLabels(s, labels);
  let sum: number | undefined;
  let count: number | undefined;
  const buckets: HistogramBucket[] = [];
  for (const s of family.samples) {
    if (s.name === `${family.name}_sum` && exact(s, 0)) sum = s.value;
    else if (s.name === `${family.name}_count` && exact(s, 0)) count = s.value;
    else if (s.name === `${family.name}_bucket` && s.labels.le !== undefined && exact(s, 1)) {
      const le = parseSampleValue(s.labels.le);
      if (le === undefined || Number.isNaN(le)) return undefined;
      buckets.push({ le, count: s.value });
    }
  }
  if (sum === undefined || count === undefined) return undefined;
  return { buckets: buckets.sort((a, b) => a.le - b.le), sum, count };
}
