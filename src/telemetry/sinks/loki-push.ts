/**
 * Pure builder for the Loki JSON push body (`POST /loki/api/v1/push`):
 * `{"streams":[{"stream":{labels},"values":[["<unix ns as string>","<line>"]]}]}`.
 * Records with equal label sets share one stream; order is kept within each stream, and streams appear
 * in the order their first record did. Labels must be bounded (the caller chooses them).
 */
export interface LokiRecord {
  /** Unix time in nanoseconds as a decimal string (Loki rejects numbers). Keep it stable across retries. */
  timestampNs: string;
  line: string;
  labels: Record<string, string>;
}

export interface LokiStream {
  stream: Record<string, string>;
  values: [string, string][];
}

export interface LokiPushBody {
  streams: LokiStream[];
}

/** A canonical key for a label set: the same labels in any order give the same key. */
export function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function buildPushBody(records: readonly LokiRecord[]): LokiPushBody {
  const byKey = new Map<string, LokiStream>();
  // Label sets as they are written (in one key order, as a sink writes them) to their stream: no sort per record.
  const byText = new Map<string, LokiStream>();
  for (const r of records) {
    const text = JSON.stringify(r.labels);
    let s = byText.get(text);
    if (!s) {
      const key = labelKey(r.labels);
      s = byKey.get(key) ?? { stream: { ...r.labels }, values: [] };
      byKey.set(key, s);
      byText.set(text, s);
    }
    s.values.push([r.timestampNs, r.line]);
  }
  return { streams: [...byKey.values()] };
}

/** `Date`-style milliseconds to a Loki nanosecond timestamp string. */
export function msToNs(ms: number): string {
  return `${BigInt(Math.trunc(ms)) * 1_000_000n}`;
}
