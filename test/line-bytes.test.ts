import { describe, expect, it } from 'vitest';
import { LineBytes } from '../src/telemetry/logs/line-bytes.js';

const text = (lines: LineBytes): string => Buffer.concat(lines.pieces()).toString('utf8');

describe('LineBytes', () => {
  it('holds the lines as UTF-8, each ending in LF, none split between pieces', () => {
    const texts = Array.from({ length: 3000 }, (_, i) => `{"i":${String(i)},"s":"${'é€😀'.repeat(i % 50)}"}`);
    texts.push('x'.repeat(1 << 20));
    const lines = LineBytes.of(texts);
    expect(lines.count).toBe(texts.length);
    expect(text(lines)).toBe(texts.map((t) => `${t}\n`).join(''));
    expect(lines.pieces().length).toBeGreaterThan(1);
    for (const piece of lines.pieces()) expect(piece[piece.length - 1]).toBe(0x0a);
  });

  it('starts over empty after clear(), its memory reused', () => {
    const lines = LineBytes.of(['a', 'b']);
    lines.clear();
    expect(lines.count).toBe(0);
    expect(lines.pieces()).toEqual([]);
    lines.push('c');
    expect(text(lines)).toBe('c\n');
  });
});
