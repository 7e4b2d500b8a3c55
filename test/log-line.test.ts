// Golden tests for parseLogLine: every test/fixtures/logs/<case>.log line against <case>.events.json.
// UPDATE_GOLDEN=1 rewrites the expected files from the current parser; review the diff by hand.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../src/cloudflared/log/event.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';

const DIR = join(import.meta.dirname, 'fixtures', 'logs');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** The file's lines as raw bytes, split on `\n` only (a CRLF file keeps its `\r`). */
function lines(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, from)) {
    out.push(bytes.subarray(from, i));
    from = i + 1;
  }
  if (from < bytes.length) out.push(bytes.subarray(from));
  return out;
}

// Key order for readable goldens: what the event is first, fields last.
const ORDER = ['type', 'format', 'wrapper', 'partial', 'level', 'time', 'timestamp', 'message', 'error', 'connIndex', 'ip'];

function readable(event: LogEvent): Record<string, unknown> {
  const entries = Object.entries(event);
  const rank = (key: string): number => (key === 'fields' ? 99 : ORDER.includes(key) ? ORDER.indexOf(key) : 50);
  entries.sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  return Object.fromEntries(entries);
}

const cases = readdirSync(DIR)
  .filter((name) => name.endsWith('.log'))
  .map((name) => name.slice(0, -'.log'.length))
  .sort();

describe('golden fixtures', () => {
  it('has fixtures', () => {
    expect(cases.length).toBeGreaterThan(15);
  });

  it.each(cases)('%s', (name) => {
    const raw = lines(readFileSync(join(DIR, `${name}.log`)));
    const events = raw.map((bytes) => parseLogLine(bytes.toString('utf8')));
    const goldenPath = join(DIR, `${name}.events.json`);
    if (UPDATE) writeFileSync(goldenPath, `${JSON.stringify(events.map(readable), null, 2)}\n`);
    const expected: unknown = JSON.parse(readFileSync(goldenPath, 'utf8'));
    expect(events).toEqual(expected);
    // The byte path must agree with the string path.
    expect(raw.map((bytes) => parseLogLine(new Uint8Array(bytes)))).toEqual(events);
  });
});

describe('bytes', () => {
  const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
  const join = (...parts: (string | number[])[]): Uint8Array =>
    Uint8Array.from(parts.flatMap((part) => (typeof part === 'string' ? [...encode(part)] : part)));

  it('replaces invalid UTF-8 with U+FFFD and keeps parsing', () => {
    const event = parseLogLine(join('2026-08-20T10:00:00Z INF bad ', [0xff, 0xfe], ' byte connIndex=0'));
    expect(event).toMatchObject({ format: 'console', level: 'info', message: 'bad \uFFFD\uFFFD byte', connIndex: 0 });
  });

  it('survives truncated, overlong and stray continuation sequences', () => {
    const event = parseLogLine(join('2026-08-20T10:00:00Z ERR x error="', [0xe2, 0x82], '" k=', [0xc0, 0xaf, 0x80]));
    expect(event.format).toBe('console');
    expect(event.error).toBe('\uFFFD');
    expect(event.fields.k).toMatch(/^\uFFFD+$/);
  });

  it('decodes invalid UTF-8 inside a JSON line', () => {
    const event = parseLogLine(join('{"level":"info","message":"a', [0xff], 'b","time":"2026-08-20T10:00:00Z"}'));
    expect(event).toMatchObject({ format: 'json', message: 'a\uFFFDb' });
  });

  it('drops a UTF-8 byte-order mark', () => {
    expect(parseLogLine(join([0xef, 0xbb, 0xbf], '2026-08-20T10:00:00Z INF Tunnel server stopped')).type).toBe('shutdown');
    expect(parseLogLine('\uFEFF{"level":"info","message":"Tunnel server stopped"}').type).toBe('shutdown');
  });

  it('treats an empty array as an empty line', () => {
    expect(parseLogLine(new Uint8Array())).toEqual({ type: 'other', format: 'empty', message: '', fields: {} });
  });
});

describe('line endings', () => {
  const line = '2026-08-20T10:00:01Z ERR Connection terminated error="timeout: no recent network activity" connIndex=0';

  it('parses CRLF, LF and bare lines alike', () => {
    const bare = parseLogLine(line);
    expect(parseLogLine(`${line}\r`)).toEqual(bare);
    expect(parseLogLine(`${line}\r\n`)).toEqual(bare);
    expect(parseLogLine(`${line}\n`)).toEqual(bare);
    expect(bare.error).toBe('timeout: no recent network activity');
  });
});

describe('one-megabyte lines', () => {
  const big = 'x'.repeat(1 << 20);

  it('parses a console line with a 1 MB message', () => {
    const event = parseLogLine(`2026-08-20T10:00:00Z INF ${big} connIndex=1`);
    expect(event.message).toHaveLength(1 << 20);
    expect(event.connIndex).toBe(1);
  });

  it('parses a console line with a 1 MB quoted error', () => {
    const event = parseLogLine(`2026-08-20T10:00:00Z ERR  error="${big}" connIndex=1`);
    expect(event.error).toHaveLength(1 << 20);
    expect(event.message).toBe('');
  });

  it('parses a JSON line with a 1 MB message', () => {
    const event = parseLogLine(JSON.stringify({ level: 'info', message: big, time: '2026-08-20T10:00:00Z' }));
    expect(event).toMatchObject({ format: 'json', type: 'other' });
    expect(event.message).toHaveLength(1 << 20);
  });

  it('parses 1 MB of plain text and 1 MB of blanks', () => {
    expect(parseLogLine(big)).toMatchObject({ format: 'plain', type: 'other', message: big });
    expect(parseLogLine(' '.repeat(1 << 20))).toMatchObject({ format: 'empty', message: '' });
  });

  it('parses 1 MB of quoted, bracketed and unclosed values', () => {
    for (const token of ['k="a ', 'k={a ', 'k=[" ', 'k=\\" ', '"= ', 'a=b ', 'k="a b" ', 'k={"a b"} ']) {
      const event = parseLogLine(`2026-08-20T10:00:00Z INF ${token.repeat((1 << 20) / token.length)}`);
      expect(event.format).toBe('console');
    }
  });

  it('keeps the trailing fields after a 1 MB run of key=value-looking message text', () => {
    const event = parseLogLine(`2026-08-20T10:00:00Z INF ${'a=b '.repeat(1 << 18)}word connIndex=2`);
    expect(event.fields).toEqual({ connIndex: 2 });
    expect(event.message.endsWith('a=b word')).toBe(true);
  });
});

describe('field edge cases', () => {
  it('keeps a __proto__ key as an ordinary field', () => {
    const json = parseLogLine('{"level":"info","message":"m","__proto__":{"polluted":true}}');
    expect(Object.getPrototypeOf(json.fields)).toBe(Object.prototype);
    expect(Object.hasOwn(json.fields, '__proto__')).toBe(true);
    expect(json.fields.__proto__).toBe('{"polluted":true}');
    const console = parseLogLine('2026-08-20T10:00:00Z INF m __proto__=x');
    expect(Object.getPrototypeOf(console.fields)).toBe(Object.prototype);
    expect(Object.hasOwn(console.fields, '__proto__')).toBe(true);
  });

  it('lifts the last of duplicated keys, as JSON.parse keeps the last', () => {
    const event = parseLogLine('{"level":"info","connIndex":0,"ip":"198.41.192.67","connIndex":"x","ip":1}');
    expect(event.fields).toMatchObject({ connIndex: 'x', ip: 1 });
    expect(event).not.toHaveProperty('connIndex');
    expect(event).not.toHaveProperty('ip');
  });

  it('reads numeric zerolog times as Unix seconds or milliseconds', () => {
    expect(parseLogLine('{"level":"info","time":1787220000}').timestamp).toBe(Date.UTC(2026, 7, 20, 10));
    expect(parseLogLine('{"level":"info","time":1787220000123}').timestamp).toBe(Date.UTC(2026, 7, 20, 10, 0, 0, 123));
  });

  it('reads level names in any case and drops unknown ones', () => {
    expect(parseLogLine('{"level":"WARNING"}').level).toBe('warn');
    expect(parseLogLine('{"level":"Trace"}').level).toBe('trace');
    expect(parseLogLine('{"level":"loud"}')).not.toHaveProperty('level');
  });

  it('turns non-string message and error values into text', () => {
    const event = parseLogLine('{"level":"error","message":42,"error":{"code":7}}');
    expect(event).toMatchObject({ message: '42', error: '{"code":7}' });
  });
});

describe('retry delays', () => {
  const delay = (text: string): number | undefined => {
    const event = parseLogLine(`2026-08-20T10:00:00Z INF Retrying connection in up to ${text} connIndex=0`);
    return event.type === 'retrying' ? event.delayMs : Number.NaN;
  };

  it('reads Go durations, the old "<dur> seconds" and bare seconds', () => {
    expect(delay('1s')).toBe(1000);
    expect(delay('1m4s')).toBe(64_000);
    expect(delay('2m8s')).toBe(128_000);
    expect(delay('500ms')).toBe(500);
    expect(delay('4s seconds')).toBe(4000);
    expect(delay('4 seconds')).toBe(4000);
    expect(delay('0 seconds')).toBe(0);
    expect(delay('soon')).toBeUndefined();
  });
});
