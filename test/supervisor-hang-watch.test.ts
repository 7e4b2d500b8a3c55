import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HangWatch, type Probe } from '../src/supervisor/hang-watch.js';
import { connectAddress } from '../src/cloudflared/metrics/connect-address.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

function watch(probe: Probe, address: string | null = '127.0.0.1:20241'): { w: HangWatch; hangs: number[]; calls: [string, number][] } {
  const hangs: number[] = [];
  const calls: [string, number][] = [];
  const w = new HangWatch({
    timeoutMs: 1000,
    now: () => Date.now(),
    onHang: () => hangs.push(Date.now()),
    probe: (a, t) => {
      calls.push([a, t]);
      return probe(a, t);
    },
  });
  if (address !== null) w.address = address;
  return { w, hangs, calls };
}

describe('HangWatch', () => {
  it('lines keep it quiet without probing', async () => {
    const { w, hangs, calls } = watch(() => Promise.resolve(false));
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(900);
      w.activity();
    }
    expect(hangs).toEqual([]);
    expect(calls).toEqual([]);
    w.stop();
  });

  it('silent but answering on the metrics address is not a hang', async () => {
    const { w, hangs, calls } = watch(() => Promise.resolve(true));
    await vi.advanceTimersByTimeAsync(10_500);
    expect(hangs).toEqual([]);
    expect(calls.length).toBe(10);
    expect(calls[0]).toEqual(['127.0.0.1:20241', 1000]);
    w.stop();
  });

  it('silent and not answering: one hang, after the timeout and the probe', async () => {
    const start = Date.now();
    const { hangs } = watch(() => new Promise((resolve) => setTimeout(() => { resolve(false); }, 1000)));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(hangs).toEqual([start + 2000]);
  });

  it('no metrics address known: silence alone is a hang', async () => {
    const start = Date.now();
    const { hangs, calls } = watch(() => Promise.resolve(true), null);
    await vi.advanceTimersByTimeAsync(5000);
    expect(hangs).toEqual([start + 1000]);
    expect(calls).toEqual([]);
  });

  it('a line during a failed probe counts', async () => {
    const { w, hangs } = watch(() => new Promise((resolve) => setTimeout(() => { resolve(false); }, 500)));
    await vi.advanceTimersByTimeAsync(1200);
    w.activity();
    await vi.advanceTimersByTimeAsync(400);
    expect(hangs).toEqual([]);
    w.stop();
  });

  it('stop() during a probe: no hang', async () => {
    const { w, hangs } = watch(() => new Promise((resolve) => setTimeout(() => { resolve(false); }, 500)));
    await vi.advanceTimersByTimeAsync(1200);
    w.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(hangs).toEqual([]);
  });

  it.each([
    ['0.0.0.0:20241', '127.0.0.1:20241'], ['[::]:20241', '[::1]:20241'], [':20241', '127.0.0.1:20241'], ['127.0.0.1:5', '127.0.0.1:5'], ['[::1]:5', '[::1]:5'],
  ])('connectAddress(%s) = %s', (listen, connect) => {
    expect(connectAddress(listen)).toBe(connect);
  });
});
