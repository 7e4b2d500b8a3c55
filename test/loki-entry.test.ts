import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeLokiEntry, lokiEntry } from '../src/telemetry/sinks/loki-entry.js';

const labels = { job: 'tunnelwatch', source: 'cloudflared', level: 'error' };

describe('Loki spool entries', () => {
  it('keep a JSON line unescaped after the labels, and give it back byte for byte', () => {
    const line = JSON.stringify({ level: 50, msg: 'say "hi" \\ é \u2028', raw: '{"a":"b\\"}"}' });
    const entry = lokiEntry('1765000000000000001', JSON.stringify(labels), line);
    expect(entry).toBe(`{"timestampNs":"1765000000000000001","labels":${JSON.stringify(labels)},"json":${line}}`);
    expect(decodeLokiEntry(entry)).toEqual({ timestampNs: '1765000000000000001', labels, line });
  });

  it('escape a line that is not a JSON object', () => {
    const entry = lokiEntry('5', JSON.stringify(labels), 'plain "text"');
    expect(JSON.parse(entry)).toEqual({ timestampNs: '5', labels, line: 'plain "text"' });
    expect(decodeLokiEntry(entry)).toEqual({ timestampNs: '5', labels, line: 'plain "text"' });
  });

  it('read the entries of earlier versions, the line a JSON string before the labels', () => {
    const old = { timestampNs: '7', line: '{"level":30,"msg":"m"}', labels };
    expect(decodeLokiEntry(JSON.stringify(old))).toEqual(old);
  });

  it('cut label values that look like the entry structure at the right place', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string()), fc.object(), fc.bigInt({ min: 0n, max: 2n ** 64n }), (set, record, ns) => {
        const tricky = { ...set, replica: '},"json":{"x":1}' };
        const line = JSON.stringify(record);
        expect(decodeLokiEntry(lokiEntry(ns.toString(), JSON.stringify(tricky), line))).toEqual({ timestampNs: ns.toString(), labels: tricky, line });
      }),
    );
  });

  it.each([
    ['not JSON', '{"timestampNs":"1","labels":{'],
    ['a timestamp that is no number', `{"timestampNs":"1e3","labels":{},"json":{}}`],
    ['labels that are not strings', `{"timestampNs":"1","labels":{"a":1},"json":{}}`],
    ['labels that are not JSON', `{"timestampNs":"1","labels":{"a":},"json":{}}`],
    ['an earlier entry without its line', JSON.stringify({ timestampNs: '1', labels })],
    ['an array', '[1,2]'],
  ])('are corrupt when %s', (_what, text) => {
    expect(decodeLokiEntry(text)).toBeUndefined();
  });
});
