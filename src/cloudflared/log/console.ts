// zerolog's human console line, cloudflared's default stderr format:
// `<RFC3339 time> <LVL> <message> [error=<v>] <k>=<v> …` (fields sorted, `error` first, message may be empty).
import type { LogLevel } from './event.js';
import { splitMessageAndFields } from './kv.js';
import type { ParsedLine } from './record.js';
import { rfc3339End, rfc3339Value } from './time.js';

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

interface Start {
  readonly at: number;
  readonly time?: string;
  readonly timestamp?: number;
}

// What can stand before the level when the time is not cloudflared's whole RFC 3339 one: digits, `:`, blank,
// `+`, `-`, `.`, `T` and `Z` (a collector's local time, a time cut short), `A`, `P`, `M` (zerolog's Kitchen time).
function isLooseTimeChar(c: number): boolean {
  return (c >= 48 && c <= 58) || c === 32 || c === 43 || c === 45 || c === 46 || c === 84 || c === 90 || c === 65 || c === 80 || c === 77;
}

const LOOSE_PREFIX_MAX = 64;
// zerolog's default console time before cloudflared 2021.2 set RFC 3339: `3:04PM`, local, without a date.
const KITCHEN = /^\d{1,2}:\d\d[AP]M$/;
// Ends like cloudflared's time (`…15:38:20Z`): the start cut off by the user, or a collector's time before it.
const TIME_TAIL = /^[\d :.+TZ-]*\d\d:\d\d:\d\d(?:\.\d+)?Z$/;

/**
 * Where the level starts on a console line whose time is not in first place as written: no time at all
 * (users drop it when pasting), zerolog's Kitchen time (cloudflared 2020.11 to 2021.1), a time cut at its
 * start (`25-07-07T15:38:20Z`), or a collector's local time glued before cloudflared's (`2023-10-19 00:08:27 `,
 * `2024-12-23 04:45:38.25+00:00`). Undefined for anything else, which stays plain text.
 */
function looseStart(text: string): Start | undefined {
  if (isLevelAt(text, 0)) return { at: 0 };
  let i = 0;
  for (; i < text.length && i <= LOOSE_PREFIX_MAX; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 && isLevelAt(text, i + 1)) break;
    if (!isLooseTimeChar(c)) return undefined;
  }
  if (i >= text.length || i > LOOSE_PREFIX_MAX) return undefined;
  const prefix = text.slice(0, i);
  if (KITCHEN.test(prefix)) return { at: i + 1, time: prefix };
  if (!TIME_TAIL.test(prefix)) return undefined;
  // A whole RFC 3339 time at the end of the prefix is cloudflared's own; a fragment tells no time.
  const from = prefix.lastIndexOf('T') - 10;
  if (from >= 0 && rfc3339End(prefix, from) === i) {
    return { at: i + 1, time: prefix.slice(from), timestamp: rfc3339Value(prefix, from, i) };
  }
  return { at: i + 1 };
}

function strictStart(text: string): Start | undefined {
  if (text.startsWith('<nil> ')) return { at: 6 };
  const end = rfc3339End(text, 0);
  if (end === -1 || text.charCodeAt(end) !== 32) return undefined;
  return { at: end + 1, time: text.slice(0, end), timestamp: rfc3339Value(text, 0, end) };
}

/**
 * Parses a zerolog console line; undefined when the line does not start with `<time> <LVL>` (or a loose form).
 * `whole` is false for a fragment known to continue in the next record (CRI `P`).
 */
export function parseConsoleLine(text: string, whole = true): ParsedLine | undefined {
  const strict = strictStart(text);
  // A line that starts with cloudflared's time but has no level after it is not cloudflared's in any form.
  const start = strict === undefined ? looseStart(text) : strict;
  if (start === undefined) return undefined;
  const { at, time, timestamp } = start;
  const level = levelAt(text, at);
  if (level === undefined) return undefined;
  const record: ParsedLine = { type: 'other', format: 'console', message: '', fields: {} };
  if (time !== undefined) record.time = time;
  if (timestamp !== undefined) record.timestamp = timestamp;
  if (level !== null) record.level = level;
  splitMessageAndFields(text.slice(at + 4), record, whole);
  return record;
}
