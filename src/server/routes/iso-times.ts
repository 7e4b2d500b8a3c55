// /status gives every time as Unix milliseconds (what programs compare) and, beside each, the same instant as
// ISO 8601 (what people read): a field `x` holding Unix ms gets a twin `xIso`, in every object at any depth.
// Pure: a JSON-shaped value in, a copy with the twins out.

/** The names of the fields that hold Unix ms, wherever they appear in /status. */
const TIME_FIELDS: ReadonlySet<string> = new Set(['at', 'since', 'lastProbeAt', 'checkedAt', 'activeAt', 'firingSince', 'keepFiringSince', 'firesAt', 'generatedAt']);

// Date's own range: beyond it toISOString throws.
const MAX_DATE_MS = 8.64e15;

export function withIsoTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withIsoTimes);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = withIsoTimes(field);
    if (TIME_FIELDS.has(key) && typeof field === 'number' && Number.isFinite(field) && Math.abs(field) <= MAX_DATE_MS) out[`${key}Iso`] = new Date(field).toISOString();
  }
  return out;
}
