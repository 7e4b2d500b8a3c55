// Property tests for parseLogLine: total on any input, and console/JSON lines built from known parts
// parse back to those parts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldValue, LogEventType, LogLevel } from '../src/cloudflared/log/event.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';

const TYPES: ReadonlySet<LogEventType> = new Set<LogEventType>([
  'starting', 'version', 'connector_id', 'metrics_server', 'initial_protocol', 'registered', 'unregistered',
  'connection_lost', 'serve_error', 'dial_error', 'register_error', 'retrying', 'terminated', 'fallback',
  'origin_error', 'request_error', 'config_updated', 'config_error', 'shutdown', 'fatal', 'other',
]);
const FORMATS: ReadonlySet<string> = new Set(['console', 'json', 'plain', 'empty']);

/** parseLogLine returned without throwing, and the result is a well-formed event. */
function wellFormed(input: string | Uint8Array): void {
  const event = parseLogLine(input);
  expect(TYPES.has(event.type)).toBe(true);
  expect(FORMATS.has(event.format)).toBe(true);
  expect(typeof event.message).toBe('string');
  expect(typeof event.fields).toBe('object');
}

// Fixed seeds: the same cases on every run (fast-check prints the seed of any failure to explore further).
const RUNS = { numRuns: 500, seed: 20_260_820 };

describe('parseLogLine is total', () => {
  it('on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), wellFormed), RUNS);
  });

  it('on arbitrary unicode strings, lone surrogates included', () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), wellFormed), RUNS);
    fc.assert(fc.property(fc.string({ unit: codeUnit, maxLength: 200 }), wellFormed), RUNS);
  });

  it('on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), wellFormed), RUNS);
  });

  it('on stringified JSON values; only objects are JSON events', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        wellFormed(text);
        const event = parseLogLine(text);
        const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
        if (isObject) expect(event.format === 'json' || event.wrapper === 'journald').toBe(true);
        else expect(event).toEqual({ type: 'other', format: 'plain', message: text, fields: {} });
      }),
      RUNS,
    );
  });

  it('on console-looking lines with random tokens and quoting', () => {
    const token = fc.oneof(
      fc.constantFrom('k=', 'k="', '"', '\\"', '\\', 'a=b', 'error=', 'x={', 'y=[', '}', ']', '=', '??? ', 'INF', '\x1b[31m'),
      fc.string({ maxLength: 8 }),
    );
    const line = fc.tuple(
      fc.constantFrom('2026-08-20T10:00:00Z', '2026-02-30T10:00:00Z', '<nil>', '2026-08-20T10:00:00.5+02:00', '9999-99-99T99:99:99Z'),
      fc.constantFrom('TRC', 'DBG', 'INF', 'WRN', 'ERR', 'FTL', 'PNC', '???', 'XYZ'),
      fc.array(token, { maxLength: 20 }),
    );
    fc.assert(
      fc.property(line, ([time, level, tokens]) => {
        wellFormed(`${time} ${level} ${tokens.join(' ')}`);
        wellFormed(`${time} ${level} ${tokens.join('')}`);
      }),
      RUNS,
    );
  });
});

// --- Round trip: render like zerolog's console writer, parse back. ---

const LEVELS: readonly (readonly [LogLevel, string])[] = [
  ['trace', 'TRC'], ['debug', 'DBG'], ['info', 'INF'], ['warn', 'WRN'], ['error', 'ERR'], ['fatal', 'FTL'], ['panic', 'PNC'],
];

/** zerolog's needsQuote. */
function needsQuote(s: string): boolean {
  for (const c of new TextEncoder().encode(s)) if (c < 0x20 || c > 0x7e || c === 0x20 || c === 0x5c || c === 0x22) return true;
  return false;
}

/** A Go string literal for `s`; with `escapeAll`, every non-ASCII character as \u/\U (still valid Go). */
function goQuote(s: string, escapeAll: boolean): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c > 0x7e && (escapeAll || c < 0xa0)) out += c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Strings zerolog would print bare that read back as another type: the console format loses these. */
const looksTyped = (s: string): boolean => /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/.test(s);

// Whole code points only: zerolog's JSON round trip has already replaced lone surrogates.
const text = fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !looksTyped(s) && !/\p{Cs}/u.test(s));
const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  text,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0) && (Number.isSafeInteger(x) || !Number.isInteger(x))),
  fc.boolean(),
  fc.constant(null),
);
const key = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter((k) => k !== 'error' && k !== '__proto__');
// Message words: no `=`, so the message cannot end in something shaped like a field; no control characters.
const word = fc.stringMatching(/^[^=\s\p{C}]{1,10}$/u);

function render(value: FieldValue, escapeAll: boolean): string {
  if (typeof value !== 'string') return String(value);
  return needsQuote(value) ? goQuote(value, escapeAll) : value;
}

describe('round trip', () => {
  it('a console line built from known parts parses back to them', () => {
    const parts = fc.record({
      date: fc.date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
      level: fc.constantFrom(...LEVELS),
      words: fc.array(word, { maxLength: 6 }),
      error: fc.option(text, { nil: undefined }),
      fields: fc.dictionary(key, fieldValue, { maxKeys: 6 }),
      escapeAll: fc.boolean(),
    });
    fc.assert(
      fc.property(parts, ({ date, level, words, error, fields, escapeAll }) => {
        const seconds = Math.floor(date.getTime() / 1000) * 1000;
        const time = new Date(seconds).toISOString().replace('.000Z', 'Z');
        const message = words.join(' ');
        const pairs = Object.keys(fields)
          .sort()
          .map((k) => `${k}=${render(fields[k] ?? null, escapeAll)}`);
        if (error !== undefined) pairs.unshift(`error=${render(error, escapeAll)}`);
        const line = `${time} ${level[1]} ${message}${pairs.length > 0 ? ' ' : ''}${pairs.join(' ')}`;

        const event = parseLogLine(line);
        expect(event.format).toBe('console');
        expect(event.level).toBe(level[0]);
        expect(event.time).toBe(time);
        expect(event.timestamp).toBe(seconds);
        expect(event.message).toBe(message);
        expect(event.error).toBe(error);
        expect(event.fields).toEqual(fields);
      }),
      { numRuns: 1000, seed: 20_260_821 },
    );
  });

  it('a JSON line built from known parts parses back to them', () => {
    const parts = fc.record({
      level: fc.constantFrom(...LEVELS),
      message: fc.string({ maxLength: 40 }),
      error: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      fields: fc.dictionary(key, fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 6 }),
    });
    fc.assert(
      fc.property(parts, ({ level, message, error, fields }) => {
        const line = JSON.stringify({ ...fields, level: level[0], time: '2026-08-20T10:00:00Z', message, error });
        const event = parseLogLine(line);
        expect(event).toMatchObject({ format: 'json', level: level[0], message, timestamp: Date.UTC(2026, 7, 20, 10) });
        expect(event.error).toBe(error);
        expect(event.fields).toEqual(fields);
      }),
      RUNS,
    );
  });
});
