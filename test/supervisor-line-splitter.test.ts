import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter, TAIL_BYTES, type Line } from '../src/supervisor/line-splitter.js';

function split(chunks: readonly Uint8Array[], maxBytes: number): Line[] {
  const s = new LineSplitter(maxBytes);
  return [...chunks.flatMap((c) => s.push(c)), ...s.end()];
}

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Cuts `data` at the given (sorted, deduplicated) offsets. */
function cut(data: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const at = [...new Set(offsets.map((o) => o % (data.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const o of at) {
    out.push(data.subarray(prev, o));
    prev = o;
  }
  out.push(data.subarray(prev));
  return out;
}

describe('LineSplitter', () => {
  it('splits on LF, strips one CR, flushes the final partial line', () => {
    expect(split([bytes('a\r\nb\n\nc')], 100)).toEqual([
      { line: 'a', truncated: false },
      { line: 'b', truncated: false },
      { line: '', truncated: false },
      { line: 'c', truncated: false },
    ]);
    expect(split([bytes('a\n')], 100)).toEqual([{ line: 'a', truncated: false }]);
    expect(split([], 100)).toEqual([]);
  });

  it('keeps a multi-byte character split across chunks whole', () => {
    const data = bytes('é€😀\n');
    const lines = split([...data].map((b) => Uint8Array.of(b)), 100);
    expect(lines).toEqual([{ line: 'é€😀', truncated: false }]);
  });

  it('emits a long line truncated at a character boundary when it ends, with its tail; the middle is skipped', () => {
    const s = new LineSplitter(5);
    expect(s.push(bytes('abcd€'))).toEqual([]);
    expect(s.push(bytes('xxxxxxxxxx'))).toEqual([]);
    expect(s.push(bytes('yy\nok\n'))).toEqual([{ line: 'abcd', truncated: true, tail: '€xxxxxxxxxxyy' }, { line: 'ok', truncated: false }]);
    expect(s.end()).toEqual([]);
  });

  it('the CR of a CRLF does not count towards the limit', () => {
    expect(split([bytes('abcde\r\nabcdef\r\n')], 5)).toEqual([
      { line: 'abcde', truncated: false },
      { line: 'abcde', truncated: true, tail: 'f' },
    ]);
  });

  it('keeps only the head and the last TAIL_BYTES of a line of any length', () => {
    const s = new LineSplitter(1024);
    let emitted = 0;
    for (let i = 0; i < 1000; i++) emitted += s.push(Buffer.alloc(4096, 0x61)).length;
    s.push(bytes('END'));
    expect(emitted).toBe(0);
    const [line] = s.push(bytes('\n'));
    expect(line?.line).toHaveLength(1024);
    expect(line?.tail).toHaveLength(TAIL_BYTES);
    expect(line?.tail?.endsWith('aEND')).toBe(true);
  });

  it('ends a cut line at the end of the stream too', () => {
    const s = new LineSplitter(3);
    s.push(bytes('abcdef'));
    expect(s.end()).toEqual([{ line: 'abc', truncated: true, tail: 'def' }]);
  });

  it('rejects a bad limit', () => {
    expect(() => new LineSplitter(0)).toThrow(RangeError);
  });

  it('property: any chunking of the same bytes yields the same lines', () => {
    const text = fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('\n', '\r\n', '\r', '€', '😀')), { maxLength: 30 }).map((p) => p.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 20 }), fc.integer({ min: 1, max: 12 }), (t, offsets, max) => {
        const data = bytes(t);
        const whole = split([data], max);
        expect(split(cut(data, offsets), max)).toEqual(whole);
        // Lines never carry a LF, never exceed the limit, and are never corrupted by a cut character.
        for (const l of whole) {
          expect(l.line).not.toContain('\n');
          expect(Buffer.byteLength(l.line)).toBeLessThanOrEqual(max);
          expect(l.line).not.toContain('\uFFFD');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: without truncation, lines are the text split on LF', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.array(fc.nat(), { maxLength: 10 }), (t, offsets) => {
        const lines = split(cut(bytes(t), offsets), 1 << 20).map((l) => l.line);
        const expected = t.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
        if (t.endsWith('\n') || t === '') expected.pop();
        expect(lines).toEqual(expected);
      }),
    );
  });
});
