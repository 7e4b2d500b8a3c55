// One incident bundle as a JSON document: what tunnelwatch knew when it was written (the snapshot, the diagnosis,
// the firing alerts, the probes), what cloudflared served on its metrics address, both /metrics texts, the
// settings with secrets hidden, and the newest records. Bounded: the texts are cut and the oldest records left out
// until the whole fits. Pure: the caller gathers and writes.

/** One answer of cloudflared's metrics server, or why there was none. */
export interface Fetched {
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

export interface BundleInput {
  /** Unix ms. */
  readonly at: number;
  readonly trigger: 'down' | 'on_demand';
  /** Why it was written, in words (`state healthy -> down: no registered connection`). */
  readonly reason: string;
  readonly version: string;
  /** The effective settings; secrets already print as `<secret>`. */
  readonly settings: unknown;
  readonly snapshot: unknown;
  readonly diagnosis: unknown;
  readonly alerts: unknown;
  readonly probes: unknown;
  /** tunnelwatch's own /metrics. */
  readonly metrics: string;
  /** cloudflared's metrics server by path (/ready, /metrics, /config, /diag/...). */
  readonly connector: Readonly<Record<string, Fetched>>;
  /** The newest records as written (JSON lines), oldest first. */
  readonly records: readonly string[];
}

/** `text` cut to at most `max` UTF-8 bytes (and a note of how much there was); a cut character becomes U+FFFD. */
function cut(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= max ? text : `${bytes.subarray(0, max).toString('utf8')}\n… cut at ${String(max)} of ${String(bytes.length)} bytes`;
}

const parsed = (line: string): unknown => {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return line;
  }
};

/** The smallest share a text is cut to before the bundle gives up fitting it (the records go first). */
const MIN_SECTION_BYTES = 1024;

/**
 * The bundle's text (compact JSON; `jq .` shows it indented), at most `maxBytes` UTF-8 bytes unless what is never cut
 * (the snapshot, diagnosis, alerts, probes and settings) leaves less than its texts' least share (7 × 1 KiB). `redact` is applied to every part before anything is cut, so no secret is cut in two. The texts
 * (both /metrics, cloudflared's answers) get an eighth of the bound each, less if the rest does not fit; records are
 * kept newest first until the bound, then shown oldest first, and `recordsLeftOut` says how many did not fit.
 */
export function renderBundle(input: BundleInput, maxBytes: number, redact: <T>(value: T) => T): string {
  const clean = redact({ ...input, records: [] as string[] });
  const head = (section: number): Record<string, unknown> => ({
    kind: 'tunnelwatch incident bundle',
    at: new Date(clean.at).toISOString(),
    trigger: clean.trigger,
    reason: clean.reason,
    version: clean.version,
    snapshot: clean.snapshot,
    diagnosis: clean.diagnosis,
    alerts: clean.alerts,
    probes: clean.probes,
    connector: Object.fromEntries(Object.entries(clean.connector).map(([path, f]) => [path, f.body === undefined ? f : { ...f, body: cut(f.body, section) }])),
    metrics: cut(clean.metrics, section),
    settings: clean.settings,
  });
  const size = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));
  let section = Math.floor(maxBytes / 8);
  let base = head(section);
  while (size({ ...base, recordsLeftOut: input.records.length, records: [] }) > maxBytes && section > MIN_SECTION_BYTES) {
    section = Math.floor(section / 2);
    base = head(section);
  }
  let budget = maxBytes - size({ ...base, recordsLeftOut: input.records.length, records: [] });
  const kept: unknown[] = [];
  for (let i = input.records.length - 1; i >= 0; i--) {
    const record = redact(parsed(input.records[i] ?? ''));
    // One comma between records.
    const bytes = size(record) + 1;
    if (bytes > budget) break;
    budget -= bytes;
    kept.push(record);
  }
  return JSON.stringify({ ...base, recordsLeftOut: input.records.length - kept.length, records: kept.reverse() });
}
