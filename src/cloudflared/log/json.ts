// zerolog JSON lines: `--output json` on stderr (keys sorted, `<>&` escaped as \u003c…) and `--logfile`
// files (emission order, duplicate keys possible; JSON.parse keeps the last, as Go's decoder does).
import type { FieldValue } from './event.js';
import { addField, type ParsedLine, toLevel } from './record.js';
import { parseRfc3339, unixToMillis } from './time.js';

/** The parsed JSON when `text` is a JSON object; undefined for invalid JSON and for non-objects. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Nested objects and arrays become their JSON text, so every field stays a flat value. */
function toFieldValue(value: unknown): FieldValue {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : (value as FieldValue);
}

/** A message or error that is not a string (never from zerolog) as its JSON text. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The generic record of one zerolog JSON object. */
export function recordFromJson(object: Readonly<Record<string, unknown>>): ParsedLine {
  const record: ParsedLine = { type: 'other', format: 'json', message: '', fields: {} };
  for (const key in object) {
    const value = object[key];
    switch (key) {
      case 'level': {
        const level = typeof value === 'string' ? toLevel(value) : undefined;
        if (level !== undefined) record.level = level;
        break;
      }
      case 'time':
        if (typeof value === 'string') {
          record.time = value;
          const timestamp = parseRfc3339(value);
          if (timestamp !== undefined) record.timestamp = timestamp;
        } else if (typeof value === 'number') {
          record.time = String(value);
          const timestamp = unixToMillis(value);
          if (timestamp !== undefined) record.timestamp = timestamp;
        }
        break;
      case 'message':
        if (value !== null) record.message = asText(value);
        break;
      case 'error':
        if (value !== null) record.error = asText(value);
        break;
      // addField, written out for the hot path (JSON.parse has already kept only the last duplicate).
      case 'connIndex':
        if (typeof value === 'number' && Number.isInteger(value)) record.connIndex = value;
        record.fields.connIndex = toFieldValue(value);
        break;
      case 'ip':
        if (typeof value === 'string') record.ip = value;
        record.fields.ip = toFieldValue(value);
        break;
      case '__proto__':
        addField(record, key, toFieldValue(value));
        break;
      default:
        record.fields[key] = toFieldValue(value);
    }
  }
  return record;
}
