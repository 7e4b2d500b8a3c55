import { describe, expect, it } from 'vitest';
import { runBounded } from '../src/probers/pool.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('runBounded', () => {
  it('never runs more than the limit at once and keeps input order', async () => {
    const gates = Array.from({ length: 6 }, deferred);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const run = runBounded([0, 1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      running++;
      peak = Math.max(peak, running);
      await gates[item]?.promise;
      running--;
      return item * 10;
    });
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    // finishing out of order frees a slot for the next item
    gates[1]?.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.resolve();
    expect(await run).toEqual([0, 10, 20, 30, 40, 50]);
    expect(peak).toBe(2);
  });

  it('handles empty input, and a limit above the item count or below 1', async () => {
    expect(await runBounded([], 4, () => Promise.resolve(1))).toEqual([]);
    expect(await runBounded([1, 2], 10, (x) => Promise.resolve(x + 1))).toEqual([2, 3]);
    expect(await runBounded([1, 2], 0, (x) => Promise.resolve(x))).toEqual([1, 2]);
  });

  it('passes the index and rejects when fn rejects', async () => {
    expect(await runBounded(['a', 'b'], 2, (x, i) => Promise.resolve(`${x}${String(i)}`))).toEqual(['a0', 'b1']);
    await expect(runBounded([1], 1, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
