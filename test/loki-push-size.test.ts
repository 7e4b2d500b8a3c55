import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fitting, GROW_AFTER, MIN_PUSH_BYTES, PushSize } from '../src/telemetry/sinks/loki-push-size.js';

// Fixed seed keeps every run identical; raise numRuns locally when hunting for bugs.
const RUNS = { seed: 20261206, numRuns: 300 };

const acceptTimes = (size: PushSize, n: number): void => {
  for (let i = 0; i < n; i++) size.accepted();
};

describe('PushSize', () => {
  it('starts at the max, and never below MIN_PUSH_BYTES', () => {
    expect(new PushSize(1 << 20).bytes).toBe(1 << 20);
    expect(new PushSize(100).bytes).toBe(MIN_PUSH_BYTES);
    expect(new PushSize(0).bytes).toBe(MIN_PUSH_BYTES);
  });

  it("drops to half the rate Loki names (the tenant rate-limit answer's numbers)", () => {
    const size = new PushSize(1 << 20);
    size.limited(834000, 524288);
    expect(size.bytes).toBe(262144);
  });

  it('drops to half the refused push when Loki names no rate', () => {
    const size = new PushSize(1 << 20);
    size.limited(834000);
    expect(size.bytes).toBe(417000);
  });

  it('never shrinks below MIN_PUSH_BYTES', () => {
    const size = new PushSize(1 << 20);
    size.limited(1000, 1000);
    expect(size.bytes).toBe(MIN_PUSH_BYTES);
    size.limited(10);
    expect(size.bytes).toBe(MIN_PUSH_BYTES);
  });

  it('never grows on a rate-limit answer, even when the named rate is above the current size', () => {
    const size = new PushSize(1 << 20);
    size.limited(200_000);
    size.limited(200_000, 10 << 20);
    expect(size.bytes).toBe(100_000);
  });

  it('doubles only after GROW_AFTER accepted pushes in a row, up to the max', () => {
    const size = new PushSize(1 << 20);
    size.limited(834000, 524288);
    acceptTimes(size, GROW_AFTER - 1);
    expect(size.bytes).toBe(262144);
    size.accepted();
    expect(size.bytes).toBe(524288);
    acceptTimes(size, GROW_AFTER);
    expect(size.bytes).toBe(1 << 20);
    acceptTimes(size, 3 * GROW_AFTER);
    expect(size.bytes).toBe(1 << 20);
  });

  it('doubling stops at the max even when the max is no power-of-two multiple', () => {
    const size = new PushSize(1_000_000);
    size.limited(600_000, 600_000);
    acceptTimes(size, 2 * GROW_AFTER);
    expect(size.bytes).toBe(1_000_000);
  });

  it('a rate-limit answer in between restarts the run of accepted pushes', () => {
    const size = new PushSize(1 << 20);
    size.limited(834000, 524288);
    acceptTimes(size, GROW_AFTER - 1);
    size.limited(100_000, 524288); // same target: only the run restarts
    acceptTimes(size, GROW_AFTER - 1);
    expect(size.bytes).toBe(262144);
    size.accepted();
    expect(size.bytes).toBe(524288);
  });
});

describe('fitting', () => {
  const len = (s: string): number => s.length;
  /** The pushes a batch becomes when the size stays `max`: `fitting` asked at each step, as the shipper does. */
  const chunkBySize = (items: string[], size: (s: string) => number, max: number): string[][] => {
    const chunks: string[][] = [];
    for (let at = 0; at < items.length; ) {
      const n = fitting(items, at, size, max);
      chunks.push(items.slice(at, at + n));
      at += n;
    }
    return chunks;
  };

  it('counts from the given index on', () => {
    expect(fitting(['aa', 'bb', 'c', 'dddd'], 2, len, 4)).toBe(1);
    expect(fitting(['aa', 'bb', 'c'], 3, len, 4)).toBe(0);
  });

  it('cuts consecutive runs of at most max, in order', () => {
    expect(chunkBySize(['aa', 'bb', 'c', 'dddd', 'e'], len, 4)).toEqual([['aa', 'bb'], ['c'], ['dddd'], ['e']]);
    expect(chunkBySize(['a', 'b', 'c'], len, 10)).toEqual([['a', 'b', 'c']]);
  });

  it('puts an item larger than max in a chunk alone', () => {
    expect(chunkBySize(['a', 'xxxxxx', 'b'], len, 4)).toEqual([['a'], ['xxxxxx'], ['b']]);
    expect(chunkBySize(['xxxxxx', 'yyyyyy'], len, 4)).toEqual([['xxxxxx'], ['yyyyyy']]);
  });

  it('gives no chunk for no items', () => {
    expect(chunkBySize([], len, 4)).toEqual([]);
  });

  it('property: the chunks concatenate to the input, none is empty, each fits max unless it is one oversized item', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 })), fc.integer({ min: 0, max: 60 }), (items, max) => {
        const chunks = chunkBySize(items, len, max);
        expect(chunks.flat()).toEqual(items);
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          if (chunk.length > 1) expect(chunk.reduce((n, s) => n + s.length, 0)).toBeLessThanOrEqual(max);
        }
      }),
      RUNS,
    );
  });

  it('property: no two neighbouring chunks could have been one (greedy, so no needless pushes)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 })), fc.integer({ min: 1, max: 60 }), (items, max) => {
        const chunks = chunkBySize(items, len, max);
        const bytes = (c: string[]): number => c.reduce((n, s) => n + s.length, 0);
        for (let i = 1; i < chunks.length; i++) {
          const prev = chunks[i - 1] ?? [];
          const first = chunks[i]?.[0] ?? '';
          expect(bytes(prev) + first.length).toBeGreaterThan(max);
        }
      }),
      RUNS,
    );
  });
});
