import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogEvent } from '../src/cloudflared/log/index.js';
import { HistorySampler } from '../src/sidecar/history-sampler.js';
import type { HealthSnapshot } from '../src/state/snapshot.js';
import { NOW, downSnapshot, healthySnapshot } from './helpers/health-snapshots.js';

afterEach(() => {
  vi.useRealTimers();
});

const ev = (e: Record<string, unknown>): LogEvent => ({ level: 'info', message: '', fields: {}, ...e }) as unknown as LogEvent;

describe('HistorySampler', () => {
  it('samples at start and every interval, with the losses counted in between; nothing after stop', () => {
    vi.useFakeTimers({ now: NOW });
    let snapshot: HealthSnapshot = healthySnapshot();
    const sampler = new HistorySampler({ intervalMs: 1000, snapshot: () => snapshot });
    sampler.start();
    expect(sampler.view.samples.map((s) => [s.at, s.state])).toEqual([[NOW, 'healthy']]);
    for (const i of [0, 1]) sampler.event(ev({ type: 'registered', connIndex: i }));
    sampler.event(ev({ type: 'connection_lost', connIndex: 0 }));
    snapshot = downSnapshot();
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(1000);
    expect(sampler.view).toEqual({
      intervalMs: 1000,
      samples: [
        expect.objectContaining({ at: NOW, reconnects: 0 }),
        expect.objectContaining({ at: NOW + 1000, state: 'down', service: 'down', registered: 0, reconnects: 1 }),
        expect.objectContaining({ at: NOW + 2000, reconnects: 0 }),
      ],
    });
    sampler.stop();
    vi.advanceTimersByTime(5000);
    expect(sampler.view.samples).toHaveLength(3);
  });
});
