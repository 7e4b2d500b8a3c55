// One incident bundle as a JSON document: what tunnelwatch knew when it was written (the snapshot, the diagnosis,
// the firing alerts, the probes), what cloudflared served on its metrics address, both /metrics texts, the
// settings with secrets hidden, and the newest records. Bounded: each text is cut at a quarter of the bundle's
// bound and the oldest records are left out until the whole fits. Pure: the caller redacts and writes.

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

const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max)}\n… cut at ${String(max)} of ${String(text.length)} characters`);

const parsed = (line: string): unknown => {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return line;
  }
};

/**
 * The bundle's text, at most `maxBytes` long (UTF-8), with `redact` applied to every string in it. Records are kept
 * newest first until the bound, then shown oldest first; `recordsLeftOut` says how many did not fit.
 */
export function renderBundle(input: BundleInput, maxBytes: number, redact: <T>(value: T) => T): string {
  const section = Math.floor(maxBytes / 4);
  const connector = Object.fromEntries(Object.entries(input.connector).map(([path, f]) => [path, f.body === undefined ? f : { ...f, body: cut(f.body, section) }]));
  const head = redact({
    kind: 'tunnelwatch incident bundle',
    at: new Date(input.at).toISOString(),
    trigger: input.trigger,
    reason: input.reason,
    version: input.version,
    snapshot: input.snapshot,
    diagnosis: input.diagnosis,
    alerts: input.alerts,
    probes: input.probes,
    connector,
    metrics: cut(input.metrics, section),
    settings: input.settings,
  });
  const base = Buffer.byteLength(JSON.stringify({ ...head, recordsLeftOut: input.records.length, records: [] }, null, 1));
  let budget = maxBytes - base;
  const kept: unknown[] = [];
  for (let i = input.records.length - 1; i >= 0 && budget > 0; i--) {
    const record = redact(parsed(input.records[i] ?? ''));
    const size = Buffer.byteLength(JSON.stringify(record)) + 2;
    if (size > budget) break;
    budget -= size;
    kept.push(record);
  }
  return JSON.stringify({ ...head, recordsLeftOut: input.records.length - kept.length, records: kept.reverse() }, null, 1);
}
