import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeldWatch } from '../src/supervisor/held-watch.js';

describe('HeldWatch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires once after the condition has held for the whole period', () => {
    const onExpire = vi.fn();
    const watch = new HeldWatch({ afterMs: 60_000, onExpire });
    watch.update(true);
    vi.advanceTimersByTime(59_999);
    watch.update(true);
    expect(onExpire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onExpire).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(600_000);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('a break resets the period; holding again starts a new one', () => {
    const onExpire = vi.fn();
    const watch = new HeldWatch({ afterMs: 60_000, onExpire });
    watch.update(true);
    vi.advanceTimersByTime(50_000);
    watch.update(false);
    vi.advanceTimersByTime(50_000);
    watch.update(true);
    vi.advanceTimersByTime(50_000);
    expect(onExpire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10_000);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('stop() disarms it', () => {
    const onExpire = vi.fn();
    const watch = new HeldWatch({ afterMs: 1000, onExpire });
    watch.update(true);
    watch.stop();
    vi.advanceTimersByTime(5000);
    expect(onExpire).not.toHaveBeenCalled();
  });
});
