// The log writer reproduces cloudflared's lines byte for byte (golden lines from the fact sheet's catalogue
// and sequences), and whatever it writes parses back to the same event.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldValue } from '../src/cloudflared/log/event.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import {
  consoleNeedsQuote,
  formatConsoleJson,
  formatConsoleLine,
  formatFileJson,
  rfc3339Seconds,
  type LogWriteEvent,
  type WriteLevel,
} from '../src/cloudflared/log/writer.js';

const T = Date.parse('2026-08-20T10:00:01.750Z');
const ev = (level: WriteLevel, message: string, fields: [string, FieldValue][] = []): LogWriteEvent => ({ level, time: T, message, fields });
const CONN = (index: number, ip: string): [string, FieldValue][] => [['event', 0], ['ip', ip], ['connIndex', index]];

describe('console lines', () => {
  it('writes the registration line with sorted fields and second-precision UTC time', () => {
    const line = formatConsoleLine(
      ev('info', 'Registered tunnel connection', [
        ['event', 0], ['connection', '5c94b68c-1f2e-4c6d-9a4b-2b3c4d5e6f70'], ['connIndex', 0], ['location', 'lax01'], ['ip', '198.41.192.67'], ['protocol', 'quic'],
      ]),
    );
    expect(line).toBe(
      '2026-08-20T10:00:01Z INF Registered tunnel connection connIndex=0 connection=5c94b68c-1f2e-4c6d-9a4b-2b3c4d5e6f70 event=0 ip=198.41.192.67 location=lax01 protocol=quic',
    );
    expect(rfc3339Seconds(T)).toBe('2026-08-20T10:00:01Z');
  });

  it('moves error first and quotes values with spaces', () => {
    expect(formatConsoleLine(ev('warn', 'Serve tunnel error', [...CONN(2, '198.41.192.7'), ['error', 'accept stream listener encountered a failure while serving']]))).toBe(
      '2026-08-20T10:00:01Z WRN Serve tunnel error error="accept stream listener encountered a failure while serving" connIndex=2 event=0 ip=198.41.192.7',
    );
    expect(formatConsoleLine(ev('error', 'Connection terminated', [['connIndex', 0]]))).toBe('2026-08-20T10:00:01Z ERR Connection terminated connIndex=0');
  });

  it('writes two spaces after the level when the message is empty', () => {
    const line = formatConsoleLine(
      ev('error', '', [
        ['error', 'Unable to reach the origin service. The service may be down or it may not be responding to traffic from cloudflared: dial tcp 127.0.0.1:8080: connect: connection refused'],
        ['cfRay', '8f1e2a3b4c5d6e7f-LAX'], ['connIndex', 0], ['event', 1], ['ingressRule', 0], ['originService', 'http://localhost:8080'],
      ]),
    );
    expect(line).toBe(
      '2026-08-20T10:00:01Z ERR  error="Unable to reach the origin service. The service may be down or it may not be responding to traffic from cloudflared: dial tcp 127.0.0.1:8080: connect: connection refused" cfRay=8f1e2a3b4c5d6e7f-LAX connIndex=0 event=1 ingressRule=0 originService=http://localhost:8080',
    );
    expect(parseLogLine(line).type).toBe('origin_error');
  });

  it('Go-quotes JSON strings, control characters and non-ASCII', () => {
    const config = '{"ingress":[{"service":"http_status:404"}]}';
    expect(formatConsoleLine(ev('info', 'Updated to new configuration', [['version', 3], ['config', config]]))).toBe(
      '2026-08-20T10:00:01Z INF Updated to new configuration config="{\\"ingress\\":[{\\"service\\":\\"http_status:404\\"}]}" version=3',
    );
    expect(formatConsoleLine(ev('info', 'x', [['details', 'a\nb\t\x07é\u200b']]))).toBe('2026-08-20T10:00:01Z INF x details="a\\nb\\t\\aé\\u200b"');
    expect(formatConsoleLine(ev('info', 'x', [['empty', ''], ['flag', true], ['nothing', null]]))).toBe('2026-08-20T10:00:01Z INF x empty= flag=true nothing=null');
    expect(consoleNeedsQuote('a=b')).toBe(false);
    expect(consoleNeedsQuote('\x7f')).toBe(true);
  });

  it('colours like zerolog v1.20 when writing to a terminal', () => {
    const line = formatConsoleLine(ev('error', 'Connection terminated', [['error', 'x y'], ['connIndex', 2]]), { color: true });
    expect(line).toBe('\x1b[90m2026-08-20T10:00:01Z\x1b[0m \x1b[1m\x1b[31mERR\x1b[0m\x1b[0m Connection terminated \x1b[31merror=\x1b[0m\x1b[31m"x y"\x1b[0m \x1b[36mconnIndex=\x1b[0m2');
    expect(parseLogLine(line)).toMatchObject({ type: 'terminated', connIndex: 2, error: 'x y' });
  });

  it('keeps a multi-line message as written (the QUIC-blocked hint)', () => {
    const line = formatConsoleLine(ev('warn', 'line one\nline two', CONN(0, '198.41.192.67')));
    expect(line).toBe('2026-08-20T10:00:01Z WRN line one\nline two connIndex=0 event=0 ip=198.41.192.67');
  });

  it('writes the graceful shutdown sequence of §4.5 as typed events', () => {
    const lines = [
      ev('info', 'Initiating graceful shutdown due to signal terminated ...'),
      ev('info', 'Unregistered tunnel connection', [['event', 0], ['connIndex', 0], ['ip', '198.41.192.67']]),
      ev('info', 'Retrying connection in up to 1s', CONN(0, '198.41.192.67')),
      ev('error', 'Connection terminated', [['connIndex', 0]]),
      ev('error', 'no more connections active and exiting'),
      ev('info', 'Tunnel server stopped'),
    ].map((e) => formatConsoleLine(e));
    expect(lines.map((l) => parseLogLine(l).type)).toEqual(['shutdown', 'unregistered', 'retrying', 'terminated', 'shutdown', 'shutdown']);
    expect(lines[2]).toBe('2026-08-20T10:00:01Z INF Retrying connection in up to 1s connIndex=0 event=0 ip=198.41.192.67');
  });
});

describe('JSON lines', () => {
  const registered = ev('info', 'Registered tunnel connection', [
    ['event', 0], ['connection', '5c94b68c-1f2e-4c6d-9a4b-2b3c4d5e6f70'], ['connIndex', 0], ['location', 'las01'], ['ip', '198.41.192.67'], ['protocol', 'quic'],
  ]);

  it('console JSON sorts keys and omits an empty message', () => {
    expect(formatConsoleJson(registered)).toBe(
      '{"connIndex":0,"connection":"5c94b68c-1f2e-4c6d-9a4b-2b3c4d5e6f70","event":0,"ip":"198.41.192.67","level":"info","location":"las01","message":"Registered tunnel connection","protocol":"quic","time":"2026-08-20T10:00:01Z"}',
    );
    expect(formatConsoleJson(ev('error', '', [['error', 'x']]))).toBe('{"error":"x","level":"error","time":"2026-08-20T10:00:01Z"}');
  });

  it('console JSON escapes <>& and keeps the last duplicate', () => {
    expect(formatConsoleJson(ev('info', '<b>&', [['k', 1], ['k', 2], ['s', '\b\u2028']]))).toBe(
      '{"k":2,"level":"info","message":"\\u003cb\\u003e\\u0026","s":"\\u0008\\u2028","time":"2026-08-20T10:00:01Z"}',
    );
  });

  it('file JSON keeps zerolog emission order and does not HTML-escape', () => {
    expect(formatFileJson(ev('warn', 'Serve tunnel error', [...CONN(1, '198.41.200.13'), ['error', 'a<b']]))).toBe(
      '{"level":"warn","event":0,"ip":"198.41.200.13","connIndex":1,"error":"a<b","time":"2026-08-20T10:00:01Z","message":"Serve tunnel error"}',
    );
  });

  it('all three shapes classify the same', () => {
    for (const format of [formatConsoleLine, formatConsoleJson, formatFileJson]) {
      const parsed = parseLogLine(format(registered));
      expect(parsed.type).toBe('registered');
      expect(parsed.connIndex).toBe(0);
    }
  });
});

const RUNS = { numRuns: 400, seed: 20_260_820 };
const KEY = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,11}$/).filter((k) => !['level', 'time', 'message', 'error'].includes(k));
const WORD = fc.stringMatching(/^[A-Za-z0-9,:;.()'/_-]{1,8}$/);
// zerolog's console writer prints a string "12" or "true" unquoted, so it reads back as a number or a
// boolean: an ambiguity of the format itself. Such strings are left out of the round trip.
const SCALAR_TEXT = /^(?:true|false|null|-?[0-9][0-9.eE+-]*)$/;
const TEXT = fc.string({ unit: 'binary', maxLength: 20 }).filter((v) => !SCALAR_TEXT.test(v));
const VALUE: fc.Arbitrary<FieldValue> = fc.oneof(
  TEXT,
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).filter((d) => !Object.is(d, -0)),
  fc.boolean(),
  fc.constant(null),
);
const EVENT = fc.record({
  level: fc.constantFrom<WriteLevel>('debug', 'info', 'warn', 'error', 'fatal'),
  message: fc.array(WORD, { maxLength: 5 }).map((w) => w.join(' ')),
  fields: fc.uniqueArray(fc.tuple(KEY, VALUE), { maxLength: 6, selector: ([k]) => k }),
  error: fc.option(TEXT, { nil: undefined }),
});

function entries(e: { fields: [string, FieldValue][]; error: string | undefined }): [string, FieldValue][] {
  return e.error === undefined ? e.fields : [['error', e.error], ...e.fields];
}

describe('round trip through parseLogLine', () => {
  it('console lines give back level, message, error and fields', () => {
    fc.assert(
      fc.property(EVENT, (e) => {
        const parsed = parseLogLine(formatConsoleLine({ level: e.level, time: T, message: e.message, fields: entries(e) }));
        expect(parsed.format).toBe('console');
        expect(parsed.level).toBe(e.level);
        expect(parsed.message).toBe(e.message);
        expect(parsed.timestamp).toBe(Math.floor(T / 1000) * 1000);
        expect(parsed.error).toBe(e.error);
        expect(parsed.fields).toEqual(Object.fromEntries(e.fields));
      }),
      RUNS,
    );
  });

  it('console JSON and file JSON give back exact values', () => {
    fc.assert(
      fc.property(EVENT, (e) => {
        for (const format of [formatConsoleJson, formatFileJson]) {
          const parsed = parseLogLine(format({ level: e.level, time: T, message: e.message, fields: entries(e) }));
          expect(parsed.format).toBe('json');
          expect(parsed.level).toBe(e.level);
          expect(parsed.message).toBe(e.message);
          expect(parsed.error).toBe(e.error);
          expect(parsed.fields).toEqual(Object.fromEntries(e.fields));
        }
      }),
      RUNS,
    );
  });
});
