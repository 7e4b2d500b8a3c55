import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NILVALUE, TRUNCATION_MARKER, cutUtf8, escapeParamValue, formatSyslog, formatSyslogBounded, headerField,
  octetFrame, priority, severityOf, structuredData, timestampOf,
} from '../src/telemetry/sinks/syslog-format.js';
import type { SyslogRecord } from '../src/telemetry/sinks/syslog-format.js';

const opts = { appName: 'tunnelwatch', hostname: 'edge-1', procId: 4242 };
const T = Date.parse('2026-11-27T20:36:04.554Z');

describe('formatSyslog golden strings', () => {
  it('a tunnelwatch info record with every label', () => {
    const r: SyslogRecord = { level: 30, time: T, msg: 'tunnel healthy', source: 'tunnelwatch', tunnel_id: 't1', connector_id: 'c-9', replica: 'r0', zone: 'ex.com' };
    expect(formatSyslog(r, opts)).toBe(
      '<14>1 2026-11-27T20:36:04.554Z edge-1 tunnelwatch 4242 tunnelwatch '
      + '[tunnelwatch@32473 tunnel_id="t1" connector_id="c-9" replica="r0" zone="ex.com" source="tunnelwatch"] '
      + '{"level":30,"time":1795811764554,"msg":"tunnel healthy","source":"tunnelwatch","tunnel_id":"t1","connector_id":"c-9","replica":"r0","zone":"ex.com"}',
    );
  });

  it('a cloudflared error with its level name, local0, the record pid, and no labels', () => {
    const r: SyslogRecord = { level: 'error', time: T, msg: 'Unable to reach the origin', source: 'cloudflared', pid: 77 };
    expect(formatSyslog(r, { ...opts, facility: 16 })).toBe(
      '<131>1 2026-11-27T20:36:04.554Z edge-1 tunnelwatch 77 cloudflared [tunnelwatch@32473 source="cloudflared"] '
      + '{"level":"error","time":1795811764554,"msg":"Unable to reach the origin","source":"cloudflared","pid":77}',
    );
  });

  it('NILVALUE for a missing time, source, labels and procId', () => {
    expect(formatSyslog({ level: 40, msg: 'x' }, { appName: 'tw', hostname: '' })).toBe('<12>1 - - tw - - - {"level":40,"msg":"x"}');
  });

  it('no BOM before MSG, and MSG is the JSON record verbatim', () => {
    const line = formatSyslog({ level: 30, time: T, msg: 'héllo ✓ 🚇' }, opts);
    expect(line).not.toContain('\uFEFF');
    expect(JSON.parse(line.slice(line.indexOf(' {') + 1))).toEqual({ level: 30, time: T, msg: 'héllo ✓ 🚇' });
  });
});

describe('header fields', () => {
  it('maps pino levels and cloudflared/zerolog names to severities', () => {
    expect([10, 20, 30, 40, 50, 60, 35].map(severityOf)).toEqual([7, 7, 6, 4, 3, 2, 4]);
    expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'panic'].map(severityOf)).toEqual([7, 7, 6, 4, 3, 2, 0]);
    expect(['DBG', 'INF', 'WRN', 'ERR', 'FTL'].map(severityOf)).toEqual([7, 6, 4, 3, 2]);
    expect([undefined, 'loud', Number.NaN].map(severityOf)).toEqual([5, 5, 5]);
  });

  it('PRI = facility * 8 + severity; an out-of-range facility names the fix', () => {
    expect(priority(1, 6)).toBe(14);
    expect(priority(23, 0)).toBe(184);
    expect(() => priority(24, 0)).toThrow(/0\.\.23/);
  });

  it('timestamps from ms or RFC 3339, NILVALUE when unusable', () => {
    expect(timestampOf(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(timestampOf('2026-08-20T10:00:01Z')).toBe('2026-08-20T10:00:01.000Z');
    expect(timestampOf('yesterday')).toBe(NILVALUE);
    expect(timestampOf(253402300800000)).toBe(NILVALUE); // year 10000
    expect(timestampOf(undefined)).toBe(NILVALUE);
  });

  it('keeps printable ASCII, replaces the rest, cuts to the RFC 5424 length', () => {
    expect(headerField('my app', 48)).toBe('my_app');
    expect(headerField('ünï', 48)).toBe('_n_');
    expect(headerField('a'.repeat(60), 48)).toBe('a'.repeat(48));
    expect(headerField('', 48)).toBe(NILVALUE);
    expect(formatSyslog({ level: 30 }, { appName: 'x'.repeat(100), hostname: 'h'.repeat(300), procId: 'p'.repeat(200) }).split(' ').slice(2, 5).map((f) => f.length)).toEqual([255, 48, 128]);
  });
});

describe('structured data', () => {
  it('escapes ", \\ and ] in PARAM-VALUE and nothing else', () => {
    expect(escapeParamValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
    expect(structuredData({ tunnel_id: 'x"]\\', zone: 'zé' })).toBe('[tunnelwatch@32473 tunnel_id="x\\"\\]\\\\" zone="zé"]');
  });

  it('takes strings, numbers and booleans, skips objects, caps values at 256 characters', () => {
    expect(structuredData({ replica: 3, zone: { a: 1 }, source: 'tunnelwatch' })).toBe('[tunnelwatch@32473 replica="3" source="tunnelwatch"]');
    expect(structuredData({ tunnel_id: '🚇'.repeat(300) })).toBe(`[tunnelwatch@32473 tunnel_id="${'🚇'.repeat(256)}"]`);
    expect(structuredData({ msg: 'not a label' })).toBe(NILVALUE);
  });
});

describe('octet counting and truncation', () => {
  it('frames with the UTF-8 byte length, not the string length', () => {
    expect(octetFrame('abc').toString()).toBe('3 abc');
    expect(octetFrame('é').toString()).toBe('2 é');
    expect(octetFrame('🚇 ✓').toString()).toBe('8 🚇 ✓');
  });

  it('property: the frame prefix always equals the byte length of the message', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (s) => {
      const frame = octetFrame(s);
      const space = frame.indexOf(0x20);
      expect(Number(frame.toString('ascii', 0, space))).toBe(frame.length - space - 1);
      expect(frame.subarray(space + 1).toString('utf8')).toBe(s);
    }));
  });

  it('property: a formatted record frames to its own byte length', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), (msg, zone) => {
      const line = formatSyslog({ level: 30, time: T, msg, zone }, opts);
      const frame = octetFrame(line);
      expect(frame.toString('utf8')).toBe(`${Buffer.byteLength(line)} ${line}`);
    }));
  });

  it('cutUtf8 never splits a character', () => {
    expect(cutUtf8('aé', 2)).toBe('a');
    expect(cutUtf8('🚇🚇', 7)).toBe('🚇');
    expect(cutUtf8('abc', 10)).toBe('abc');
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.nat(40), (s, n) => {
      const cut = cutUtf8(s, n);
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(n);
      expect(s.startsWith(cut)).toBe(true);
    }));
  });

  it('truncates only MSG, ends with the marker, and fits the cap (property)', () => {
    const r = { level: 30, time: T, msg: 'é'.repeat(3000), tunnel_id: 't1' };
    const out = formatSyslogBounded(r, opts, 2048);
    expect(out.truncated).toBe(true);
    expect(Buffer.byteLength(out.line)).toBeLessThanOrEqual(2048);
    expect(out.line.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(out.line).toContain('[tunnelwatch@32473 tunnel_id="t1"] {"level":30');
    expect(formatSyslogBounded({ level: 30, msg: 'short' }, opts, 2048)).toEqual({ line: formatSyslog({ level: 30, msg: 'short' }, opts), truncated: false });
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 600 }), fc.integer({ min: 480, max: 1200 }), (msg, max) => {
      const b = formatSyslogBounded({ level: 30, time: T, msg, tunnel_id: msg.slice(0, 20) }, opts, max);
      expect(Buffer.byteLength(b.line)).toBeLessThanOrEqual(max);
      expect(b.truncated).toBe(Buffer.byteLength(formatSyslog({ level: 30, time: T, msg, tunnel_id: msg.slice(0, 20) }, opts)) > max);
    }));
  });

  it('drops the structured data when the header alone would not fit', () => {
    const r = { level: 30, time: T, msg: 'm'.repeat(500), tunnel_id: ']'.repeat(256), zone: '"'.repeat(256) };
    const out = formatSyslogBounded(r, opts, 480);
    expect(out.line).toMatch(/^<14>1 \S+ edge-1 tunnelwatch 4242 - - \{"level"/);
    expect(Buffer.byteLength(out.line)).toBeLessThanOrEqual(480);
  });
});
