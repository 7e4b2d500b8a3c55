import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../src/cloudflared/log/index.js';
import { History, HISTORY_SAMPLES, LossCounter, sampleOf, type HistorySample } from '../src/state/history.js';
import { serviceView } from '../src/state/service.js';
import type { HealthSnapshot } from '../src/state/snapshot.js';
import { NOW, downSnapshot, healthySnapshot } from './helpers/health-snapshots.js';

const sample = (at: number): HistorySample => ({ at, state: 'healthy', service: 'healthy', registered: 4, expected: 4, originsDown: 0, reconnects: 0 });

describe('History', () => {
  it('keeps the newest samples, oldest first, in a ring of fixed size', () => {
    const h = new History(3);
    expect(h.samples()).toEqual([]);
    h.push(sample(1));
    expect(h.samples().map((s) => s.at)).toEqual([1]);
    for (const at of [2, 3, 4, 5]) h.push(sample(at));
    expect(h.samples().map((s) => s.at)).toEqual([3, 4, 5]);
  });

  it('holds 6 hours of 30 s samples by default and refuses a capacity that is no whole number', () => {
    expect(HISTORY_SAMPLES * 30_000).toBe(6 * 3_600_000);
    const h = new History();
    for (let i = 0; i < HISTORY_SAMPLES + 10; i++) h.push(sample(i));
    expect(h.samples()).toHaveLength(HISTORY_SAMPLES);
    expect(h.samples()[0]?.at).toBe(10);
    expect(() => new History(0)).toThrow(/capacity is 0/);
    expect(() => new History(2.5)).toThrow(RangeError);
  });
});

describe('sampleOf', () => {
  it('takes the states, counts and the slowest origin probe from the snapshot, at the sampler\'s time', () => {
    expect(sampleOf(healthySnapshot(), NOW + 5000, 2)).toEqual({ at: NOW + 5000, state: 'healthy', service: 'degraded', registered: 4, expected: 4, originsDown: 1, reconnects: 2, latencyMs: 12.5 });
  });

  it('has no latency while no origin was probed', () => {
    const s: HealthSnapshot = { ...healthySnapshot(), origins: [] };
    expect(sampleOf(s, NOW, 0)).not.toHaveProperty('latencyMs');
  });
});

describe('LossCounter', () => {
  const ev = (e: Record<string, unknown>): LogEvent => ({ level: 'info', message: '', fields: {}, ...e }) as unknown as LogEvent;
  const registered = (connIndex: number): LogEvent => ev({ type: 'registered', connIndex });

  it('counts each lost connection once, however many lines tell it, and resets on take', () => {
    const c = new LossCounter();
    for (const i of [0, 1, 2, 3]) c.observe(registered(i));
    c.observe(ev({ type: 'serve_error', connIndex: 1 }));
    c.observe(ev({ type: 'retrying', connIndex: 1 }));
    c.observe(ev({ type: 'connection_lost', connIndex: 2 }));
    expect(c.take()).toBe(2);
    expect(c.take()).toBe(0);
    c.observe(registered(1));
    c.observe(ev({ type: 'terminated', connIndex: 1 }));
    expect(c.take()).toBe(1);
  });

  it('counts the connections of a restarted connector, not those of a graceful shutdown', () => {
    const c = new LossCounter();
    for (const i of [0, 1]) c.observe(registered(i));
    c.observe(ev({ type: 'starting' }));
    expect(c.take()).toBe(2);
    for (const i of [0, 1]) c.observe(registered(i));
    c.observe(ev({ type: 'shutdown', phase: 'signal' }));
    c.observe(ev({ type: 'unregistered', connIndex: 0 }));
    c.observe(ev({ type: 'unregistered', connIndex: 1 }));
    expect(c.take()).toBe(0);
  });
});

describe('serviceView', () => {
  it('tells a healthy connector with an origin down apart: the service is degraded', () => {
    expect(serviceView(healthySnapshot())).toEqual({ state: 'degraded', origins: { up: 2, down: 1, unknown: 0, total: 3 }, summary: '1 of 3 origins down: api.example.com' });
  });

  it('is down with the connector down, or with every probed origin down', () => {
    expect(serviceView(downSnapshot()).state).toBe('down');
    const s = healthySnapshot();
    const allDown: HealthSnapshot = { ...s, origins: s.origins.map((o) => ({ ...o, state: 'down' as const })) };
    expect(serviceView(allDown)).toMatchObject({ state: 'down', summary: 'every probed origin is down (3 of 3): app.example.com, api.example.com, ssh.example.com' });
    expect(serviceView({ ...s, state: 'inactive' }).state).toBe('down');
  });

  it('is healthy with every origin up or none probed, unknown before anything answered', () => {
    const s = healthySnapshot();
    expect(serviceView({ ...s, origins: s.origins.map((o) => ({ ...o, state: 'up' as const })) })).toMatchObject({ state: 'healthy', summary: '3 of 3 origins up' });
    expect(serviceView({ ...s, origins: [] })).toMatchObject({ state: 'healthy', origins: { total: 0 } });
    expect(serviceView({ ...s, origins: s.origins.map((o) => ({ ...o, state: 'unknown' as const })) }).state).toBe('unknown');
    expect(serviceView({ ...s, state: 'unknown' }).state).toBe('unknown');
  });
});
