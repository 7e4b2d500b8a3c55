// The event under construction that every parser fills in, and the helpers the parsers share.
import type { FieldValue, LogEventType, LogLevel, OtherEvent } from './event.js';

// `type` comes first and always exists, so setting the real type later changes no object shape.
/** An event under construction: a parser creates it as `other`, log-classify types it in place. */
export type ParsedLine = Draft<Omit<OtherEvent, 'type' | 'fields'>> & {
  type: LogEventType;
  fields: Record<string, FieldValue>;
};

/** Adds a field, lifting `connIndex` and `ip` onto the record and keeping a `__proto__` key an ordinary field. */
export function addField(record: ParsedLine, key: string, value: FieldValue): void {
  if (key === 'connIndex') {
    if (typeof value === 'number' && Number.isInteger(value)) record.connIndex = value;
    else delete record.connIndex;
  } else if (key === 'ip') {
    if (typeof value === 'string') record.ip = value;
    else delete record.ip;
  }
  if (key === '__proto__') {
    Object.defineProperty(record.fields, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    record.fields[key] = value;
  }
}

/** Maps a zerolog level name (`info`) or console abbreviation (`INF`), in any case, to a LogLevel. */
export function toLevel(name: string): LogLevel | undefined {
  // A switch first: the common exact spellings cost no allocation.
  switch (name) {
    case 'info':
      return 'info';
    case 'error':
      return 'error';
    case 'warn':
      return 'warn';
    case 'debug':
      return 'debug';
    case 'fatal':
      return 'fatal';
    default:
      return name.length <= 7 ? LEVELS.get(name.toLowerCase()) : undefined;
  }
}

const LEVELS: ReadonlyMap<string, LogLevel> = new Map<string, LogLevel>([
  ['trace', 'trace'],
  ['debug', 'debug'],
  ['info', 'info'],
  ['warn', 'warn'],
  ['warning', 'warn'],
  ['error', 'error'],
  ['fatal', 'fatal'],
  ['panic', 'panic'],
  ['trc', 'trace'],
  ['dbg', 'debug'],
  ['inf', 'info'],
  ['wrn', 'warn'],
  ['err', 'error'],
  ['ftl', 'fatal'],
  ['pnc', 'panic'],
]);

/** A writable copy of a readonly record type, for building one property at a time. */
export type Draft<T> = { -readonly [K in keyof T]: T[K] };
