// zerolog's human console line, cloudflared's default stderr format:
// `<RFC3339 time> <LVL> <message> [error=<v>] <k>=<v> …` (fields sorted, `error` first, message may be empty).
import type { LogLevel } from './log-event.js';
import { splitMessageAndFields } from './log-kv.js';
import type { LogRecord } from './log-record.js';
import { rfc3339End, rfc3339Value } from './log-time.js';

const CONSOLE_LEVELS: Readonly<Record<string, LogLevel | null>> = {
  TRC: 'trace',
  DBG: 'debug',
  INF: 'info',
  WRN: 'warn',
  ERR: 'error',
  FTL: 'fatal',
  PNC: 'panic',
  // zerolog prints ??? for an event logged without a level.
  '???': null,
};

/** The console level token at `at` (3 characters, then space or end): null for `???`, undefined for none. */
function levelAt(text: string, at: number): LogLevel | null | undefined {
  if (at + 3 < text.length && text.charCodeAt(at + 3) !== 32) return undefined;
  const token = text.slice(at, at + 3);
  return Object.hasOwn(CONSOLE_LEVELS, token) ? CONSOLE_LEVELS[token] : undefined;
}

/** True when a console level token starts at `at` (used to tell a console line from a wrapper's timestamp). */
export function isLevelAt(text: string, at: number): boolean {
  return levelAt(text, at) !== undefined;
}

/** Parses a zerolog console line; undefined when the line does not start with `<time> <LVL>`. */
export function parseConsoleLine(text: string): LogRecord | undefined {
  let time: string | undefined;
  let timestamp: number | undefined;
  let at: number;
  if (text.startsWith('<nil> ')) {
    at = 6;
  } else {
    const end = rfc3339End(text, 0);
    if (end === -1 || text.charCodeAt(end) !== 32) return undefined;
    time = text.slice(0, end);
    timestamp = rfc3339Value(text, 0, end);
    at = end + 1;
  }
  const level = levelAt(text, at);
  if (level === undefined) return undefined;
  const record: LogRecord = { type: 'other', format: 'console', message: '', fields: {} };
  if (time !== undefined) record.time = time;
  if (timestamp !== undefined) record.timestamp = timestamp;
  if (level !== null) record.level = level;
  splitMessageAndFields(text.slice(at + 4), record);
  return record;
}
