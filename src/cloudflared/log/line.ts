// Entry point of the cloudflared log parser: one line in any supported shape → one typed LogEvent.
import { classify } from './classify.js';
import { parseConsoleLine } from './console.js';
import type { FatalEvent, LogEvent, OtherEvent } from './event.js';
import { parseJsonObject, recordFromJson } from './json.js';
import { stripAnsi, stripLineEnd, toText } from './normalize.js';
import { parsePlainLine } from './plain.js';
import type { ParsedLine } from './record.js';
import { journaldMessage, unwrapLine, type Wrapper } from './wrappers.js';

interface Context {
  readonly wrapper: Wrapper | undefined;
  readonly partial: boolean;
  /** Wrappers were already looked for; a line is unwrapped once. */
  readonly unwrapped: boolean;
}

const TOP: Context = { wrapper: undefined, partial: false, unwrapped: false };

function toEvent(record: ParsedLine, context: Context): LogEvent {
  if (context.wrapper !== undefined) record.wrapper = context.wrapper;
  if (context.partial) record.partial = true;
  // Lines without a level are not cloudflared events, whatever their text says: they stay `other`, except the
  // bare exit message plain.ts already typed `fatal`.
  return record.format === 'console' || record.format === 'json' ? classify(record) : (record as OtherEvent | FatalEvent);
}

/** The event of a JSON object line, or of the line inside it when it is a `journalctl -o json` record. */
function fromJson(object: Readonly<Record<string, unknown>>, context: Context): LogEvent {
  const record = recordFromJson(object);
  // zerolog always writes a level and journald never does: only level-less objects are looked at twice.
  if (record.level === undefined && context.wrapper === undefined && Object.hasOwn(object, 'MESSAGE')) {
    const message = journaldMessage(object);
    if (message !== undefined) {
      return parseText(stripLineEnd(message), { wrapper: 'journald', partial: false, unwrapped: false });
    }
  }
  return toEvent(record, context);
}

function parseText(text: string, context: Context): LogEvent {
  // JSON is tried before the colour-code scan: cloudflared never colours JSON.
  const object = text.charCodeAt(0) === 123 ? parseJsonObject(text) : undefined;
  if (object !== undefined) return fromJson(object, context);
  const clean = stripAnsi(text);
  const trimmed = clean.trimStart();
  if (trimmed === '') return toEvent(parsePlainLine(''), context);
  if (trimmed !== text && trimmed.charCodeAt(0) === 123) {
    const inner = parseJsonObject(trimmed);
    if (inner !== undefined) return fromJson(inner, context);
  }
  if (!context.unwrapped) {
    const inner = unwrapLine(clean);
    if (inner.wrapper !== undefined) {
      const wrapper = context.wrapper ?? inner.wrapper;
      return parseText(inner.text, { wrapper, partial: inner.partial, unwrapped: true });
    }
  }
  // Pasted copies are often indented; zerolog never writes leading blanks, so they say nothing.
  return toEvent(parseConsoleLine(trimmed, !context.partial) ?? parsePlainLine(clean), context);
}

/**
 * Parses one line of cloudflared output (zerolog console or JSON, Go `log` text or anything else, optionally
 * wrapped by journald, docker, kubectl or a CRI log file) into a typed event, purely and without ever throwing.
 */
export function parseLogLine(line: string | Uint8Array): LogEvent {
  return parseText(stripLineEnd(toText(line)), TOP);
}
