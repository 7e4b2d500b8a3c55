import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { settledWithin } from '../src/sidecar/within.js';

describe('settledWithin', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('is true for work that resolves or rejects before the deadline', async () => {
    await expect(settledWithin(Promise.resolve(1), 1000)).resolves.toBe(true);
    await expect(settledWithin(Promise.reject(new Error('x')), 1000)).resolves.toBe(true);
  });

  it('is false at the deadline for work that never settles, and leaves no timer behind', async () => {
    const verdict = settledWithin(new Promise(() => undefined), 3000);
    await vi.advanceTimersByTimeAsync(2999);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(verdict).resolves.toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears its timer once the work settles', async () => {
    await settledWithin(Promise.resolve(), 3000);
    expect(vi.getTimerCount()).toBe(0);
  });
});
