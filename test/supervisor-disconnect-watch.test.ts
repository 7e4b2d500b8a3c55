import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DisconnectWatch } from '../src/supervisor/disconnect-watch.js';

describe('DisconnectWatch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires once after the connector has held no connection for the whole period', () => {
    const onExpire = vi.fn();
    const watch = new DisconnectWatch({ afterMs: 60_000, onExpire });
    watch.update(0);
    vi.advanceTimersByTime(59_999);
    watch.update(0);
    expect(onExpire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onExpire).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(600_000);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('a registered connection resets the period; losing it again starts a new one', () => {
    const onExpire = vi.fn();
    const watch = new DisconnectWatch({ afterMs: 60_000, onExpire });
    watch.update(0);
    vi.advanceTimersByTime(50_000);
    watch.update(1);
    vi.advanceTimersByTime(50_000);
    watch.update(0);
    vi.advanceTimersByTime(50_000);
    expect(onExpire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(10_000);
    expect(onExpire).toHaveBeenCalledTimes(1);
  });

  it('stop() disarms it', () => {
    const onExpire = vi.fn();
    const watch = new DisconnectWatch({ afterMs: 1000, onExpire });
    watch.update(0);
    watch.stop();
    vi.advanceTimersByTime(5000);
    expect(onExpire).not.toHaveBeenCalled();
  });
});
