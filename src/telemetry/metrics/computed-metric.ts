// Gauges and counters whose series are computed at scrape time from a read function.
// prom-client's `collect()` can only write into the metric's own map: an unlabelled metric then always shows a
// value (0 before anything is known) and label sets that went away need a reset. Returning the computed list
// from `get()` instead gives "no series while unknown", drops stale label sets for free, and skips the
// per-series label hashing (a registry with 1,000 origins renders in a few milliseconds).
import { Counter, Gauge, type LabelValues, type MetricValue, type Registry } from 'prom-client';

/** One series: its labels and its value. */
export interface Series<L extends string> {
  readonly labels: LabelValues<L>;
  readonly value: number;
}

/** Computes the metric's series for one scrape; an empty result means the metric has no series. */
export type ReadSeries<L extends string> = () => Iterable<Series<L>>;

export interface ComputedMetricConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  readonly read: ReadSeries<L>;
}

// NaN and ±Inf never carry meaning in these sources (a parse artefact at most), so they become no series.
function values<L extends string>(read: ReadSeries<L>): MetricValue<L>[] {
  const out: MetricValue<L>[] = [];
  for (const s of read()) if (Number.isFinite(s.value)) out.push({ labels: s.labels, value: s.value });
  return out;
}

class ComputedGauge<L extends string> extends Gauge<L> {
  readonly #read: ReadSeries<L>;

  constructor(registry: Registry, config: ComputedMetricConfig<L>) {
    super({ name: config.name, help: config.help, labelNames: config.labelNames ?? [], registers: [registry] });
    this.#read = config.read;
  }

  override async get(): ReturnType<Gauge<L>['get']> {
    const computed = values(this.#read);
    return { ...(await super.get()), values: computed };
  }
}

class ComputedCounter<L extends string> extends Counter<L> {
  readonly #read: ReadSeries<L>;

  constructor(registry: Registry, config: ComputedMetricConfig<L>) {
    super({ name: config.name, help: config.help, labelNames: config.labelNames ?? [], registers: [registry] });
    this.#read = config.read;
  }

  override async get(): ReturnType<Counter<L>['get']> {
    const computed = values(this.#read);
    return { ...(await super.get()), values: computed };
  }
}

/** Registers a gauge whose series `read` computes on every scrape. */
export function computedGauge<L extends string = never>(registry: Registry, config: ComputedMetricConfig<L>): void {
  new ComputedGauge(registry, config);
}

/** Registers a counter whose series `read` computes on every scrape (values copied from a monotonic source). */
export function computedCounter<L extends string = never>(registry: Registry, config: ComputedMetricConfig<L>): void {
  new ComputedCounter(registry, config);
}

/** The one series of an unlabelled metric, or none when the value is unknown. */
export function single(value: number | undefined): Series<never>[] {
  return value === undefined ? [] : [{ labels: {}, value }];
}

/** One 0/1 series per value of a bounded set: 1 for `current`, 0 for the others. */
export function oneOf<L extends string, V extends string>(label: L, all: readonly V[], current: V): Series<L>[] {
  return all.map((v) => ({ labels: labelSet(label, v), value: v === current ? 1 : 0 }));
}

/** The label set `{ [label]: value }`, typed for a metric whose only label is `label`. */
export function labelSet<L extends string>(label: L, value: string): LabelValues<L> {
  const labels: Record<string, string> = { [label]: value };
  return labels as LabelValues<L>;
}
