// Prometheus text exposition written the way client_golang 1.22 / common 0.64 (expfmt text_create.go)
// writes it: families sorted by name, empty families left out, label pairs sorted by name (`le` and
// `quantile` last), metrics sorted by label values, values in Go's strconv 'g' shortest form.

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** Full sample name (`x_bucket`, `x_sum`, …). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: FamilyType;
  readonly samples: readonly Sample[];
}

/** Go's writeFloat: 1, 0 and -1 special-cased, otherwise strconv.FormatFloat(f, 'g', -1, 64). */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return '0';
  const [mantissa = '0', expText = '0'] = value.toExponential().split('e');
  const exp = Number(expText);
  // With the shortest precision Go switches to %e when the exponent is < -4 or >= 6.
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(value);
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const TRAILING = new Set(['le', 'quantile']);

function labelOrder(a: string, b: string): number {
  const ta = TRAILING.has(a) ? 1 : 0;
  const tb = TRAILING.has(b) ? 1 : 0;
  if (ta !== tb) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort(labelOrder);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabel(labels[k] ?? '')}"`).join(',')}}`;
}

/** The series key samples of one metric share (labels without `le`/`quantile`), for sorting. */
function seriesKey(sample: Sample): string {
  return Object.keys(sample.labels)
    .filter((k) => !TRAILING.has(k))
    .sort()
    .map((k) => sample.labels[k] ?? '')
    .join('\u0000');
}

/** Writes families as Go's text format (version 0.0.4). */
export function writeExposition(families: readonly Family[]): string {
  let out = '';
  const sorted = families.filter((f) => f.samples.length > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const family of sorted) {
    out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    // Stable sort keeps bucket/quantile order and _sum/_count after them within each series.
    const samples = [...family.samples].sort((a, b) => {
      const ka = seriesKey(a);
      const kb = seriesKey(b);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    for (const sample of samples) out += `${sample.name}${labelText(sample.labels)} ${goFloat(sample.value)}\n`;
  }
  return out;
}
