import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { repeatKey } from '../src/cloudflared/log/repeat-key.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import { CollapsingWriter } from '../src/sidecar/collapsing-writer.js';
import { KEEP, type Route } from '../src/telemetry/logs/index.js';
import type { LogRecord } from '../src/telemetry/logs/log-record.js';
import { Repeats } from '../src/telemetry/logs/repeats.js';

const T = Date.parse('2026-12-06T13:19:28Z');
const rec = (msg: string, time: number, raw = `raw ${msg} ${String(time)}`): LogRecord => ({ level: 50, time, msg, source: 'cloudflared', raw });

describe('Repeats', () => {
  it('ships the burst, holds back the rest, and sums them into one summary when the window ends', () => {
    const r = new Repeats({ windowMs: 10_000, burst: 2 });
    const shipped = [0, 1, 2, 3, 4].map((i) => r.admit('k', rec('Serve tunnel error', T + i, `line ${String(i)}`), T + i));
    expect(shipped).toEqual([true, true, false, false, false]);
    expect(r.nextDue()).toBe(T + 10_000);
    expect(r.due(T + 9_999)).toEqual([]);
    const [summary] = r.due(T + 10_000);
    expect(summary).toMatchObject({
      level: 50,
      source: 'cloudflared',
      msg: 'repeated 3 times between 2026-12-06T13:19:28.002Z and 2026-12-06T13:19:28.004Z: Serve tunnel error',
      repeated: 3,
      first_time: T + 2,
      last_time: T + 4,
      first_raw: 'line 2',
      last_raw: 'line 4',
      time: T + 4,
    });
    expect(summary).not.toHaveProperty('raw');
    // A new window starts with a new burst.
    expect(r.admit('k', rec('Serve tunnel error', T + 10_001), T + 10_001)).toBe(true);
  });

  it('names a message-less line (a request error) by its error', () => {
    const r = new Repeats({ windowMs: 1000, burst: 1 });
    const line = (t: number): LogRecord => ({ ...rec('', t), error: 'Unable to reach the origin service' });
    for (const t of [T, T + 1, T + 2]) r.admit('k', line(t), t);
    expect(r.due(T + 1000)[0]?.msg).toBe('repeated 2 times between 2026-12-06T13:19:28.001Z and 2026-12-06T13:19:28.002Z: Unable to reach the origin service');
  });

  it('keeps keys apart, gives no summary to a window that held nothing back, and turns off with a 0 window', () => {
    const r = new Repeats({ windowMs: 1000, burst: 1 });
    expect(r.admit('a', rec('a', T), T)).toBe(true);
    expect(r.admit('b', rec('b', T), T)).toBe(true);
    expect(r.nextDue()).toBeUndefined();
    expect(r.due(T + 1000)).toEqual([]);
    const off = new Repeats({ windowMs: 0, burst: 1 });
    expect([1, 2, 3].every((i) => off.admit('k', rec('x', T + i), T + i))).toBe(true);
  });

  it('tracks at most maxKeys keys; further keys are shipped as they come', () => {
    const r = new Repeats({ windowMs: 1000, burst: 1, maxKeys: 2 });
    expect(['a', 'b', 'c', 'c', 'a'].map((k) => r.admit(k, rec(k, T), T))).toEqual([true, true, true, true, false]);
  });

  it('counts exactly: records shipped plus every summary\'s repeated equal the records offered, per key', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 3000 })), { maxLength: 300 }), fc.integer({ min: 1, max: 4 }), (steps, burst) => {
        const r = new Repeats({ windowMs: 1000, burst });
        const offered = new Map<string, number>();
        const delivered = new Map<string, number>();
        const add = (m: Map<string, number>, k: string, n: number): void => { m.set(k, (m.get(k) ?? 0) + n); };
        let at = T;
        for (const [key, gap] of steps) {
          at += gap;
          // Each record's message is its key, so a summary's message ends with it.
          for (const s of r.due(at)) add(delivered, s.msg.slice(-1), s.repeated as number);
          add(offered, key, 1);
          if (r.admit(key, rec(key, at), at)) add(delivered, key, 1);
        }
        for (const s of r.due()) add(delivered, s.msg.slice(-1), s.repeated as number);
        expect(delivered).toEqual(offered);
      }),
    );
  });
});

describe('Repeats memory bound', () => {
  it('past maxHeldChars a key ships its records as they come instead of holding them; counts stay exact', () => {
    const r = new Repeats({ windowMs: 10_000, burst: 1, maxHeldChars: 3000 });
    const long = (key: string, i: number): LogRecord => rec(key, T + i, `${key} ${'x'.repeat(1000)}`);
    const shippedA = [0, 1, 2].map((i) => r.admit('a', long('a', i), T + i));
    const shippedB = [0, 1, 2].map((i) => r.admit('b', long('b', i), T + i));
    // a holds its first and last (about 2 KB); b's first hold would pass 3000, so b ships.
    expect(shippedA).toEqual([true, false, false]);
    expect(shippedB).toEqual([true, true, true]);
    const summaries = r.due();
    expect(summaries.map((s) => s.repeated)).toEqual([2]);
    // Held characters are given back when a window closes: b may hold again.
    expect([0, 1].map((i) => r.admit('b', long('b', i), T + 20_000 + i))).toEqual([true, false]);
  });
});

describe('repeatKey', () => {
  const line = (port: number, ip: string, time: string): string =>
    `{"connIndex":0,"error":"DialContext error: dial tcp ${ip}:${String(port)}: connect: connection refused","event":0,"ip":"${ip}","level":"error","message":"Unable to establish connection with Cloudflare edge","time":"${time}"}`;

  it('is the same for lines that differ only in time, address and port', () => {
    expect(repeatKey(parseLogLine(line(7844, '198.41.192.7', '2026-12-06T13:19:28Z')))).toBe(repeatKey(parseLogLine(line(443, '198.41.200.13', '2026-12-06T13:19:29Z'))));
  });

  it('tells apart the connection slot, the message, the level and ids inside the line only by shape', () => {
    const base = '2026-12-06T13:19:28Z ERR Serve tunnel error error="timeout: no recent network activity" connIndex=0 event=0 ip=198.41.192.7';
    const key = repeatKey(parseLogLine(base));
    expect(repeatKey(parseLogLine(base.replace('connIndex=0', 'connIndex=1')))).not.toBe(key);
    expect(repeatKey(parseLogLine(base.replace('ERR', 'WRN')))).not.toBe(key);
    expect(repeatKey(parseLogLine(base.replace('Serve tunnel error', 'Lost connection with the edge')))).not.toBe(key);
    const reg = (id: string): string => `2026-12-06T13:19:28Z INF Registered tunnel connection connIndex=0 connection=${id} event=0 ip=198.41.200.13 location=lax01 protocol=quic`;
    expect(repeatKey(parseLogLine(reg('5c94b68c-3f1d-4b2a-9e8f-7a6b5c4d3e2f')))).toBe(repeatKey(parseLogLine(reg('d0e2c477-f873-40f2-b231-406fbc532a63'))));
  });

  it('stays small for a 1 MB line: the head of each part tells lines apart, a digest keeps long keys distinct', () => {
    const big = (head: string, tail: string): string => JSON.stringify({ error: `${head} ${'x'.repeat(1_000_000)} ${tail}`, level: 'error', message: 'Request failed' });
    const key = repeatKey(parseLogLine(big('line 1', 'end a')));
    expect(key.length).toBeLessThanOrEqual(200);
    expect(repeatKey(parseLogLine(big('line 2', 'end a')))).not.toBe(key);
    // Beyond the head the rest is not compared: the same long line with another ending is a repeat.
    expect(repeatKey(parseLogLine(big('line 1', 'end b')))).toBe(key);
  });
});

describe('CollapsingWriter', () => {
  beforeEach(() => { vi.useFakeTimers({ now: T }); });
  afterEach(() => { vi.useRealTimers(); });

  it('ships the summary when the window ends although no further line comes, and everything pending on flush', () => {
    const written: LogRecord[] = [];
    let collapsed = 0;
    const w = new CollapsingWriter({ outputs: [{ name: 'stdout', windowMs: 10_000, burst: 1 }], write: (r) => written.push(r), collapsed: () => { collapsed++; }, now: () => Date.now() });
    for (let i = 0; i < 4; i++) w.write(rec('flood', Date.now()), 'k', Date.now());
    expect(written).toHaveLength(1);
    expect(collapsed).toBe(3);
    vi.advanceTimersByTime(9_999);
    expect(written).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(written.map((r) => r.repeated)).toEqual([undefined, 3]);
    w.write(rec('flood', Date.now()), 'k', Date.now());
    w.write(rec('flood', Date.now()), 'k', Date.now());
    w.flush();
    expect(written.map((r) => r.repeated)).toEqual([undefined, 3, undefined, 1]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('collapses per output by its own settings, each output\'s counts exact, and writes a record once for all that take it', () => {
    const outputs = [{ name: 'stdout', windowMs: 0, burst: 5 }, { name: 'loki', windowMs: 1000, burst: 1 }, { name: 'syslog', windowMs: 1000, burst: 3 }];
    const got: Record<string, LogRecord[]> = { stdout: [], loki: [], syslog: [] };
    const routes: Route[] = [];
    const collapsed: Record<string, number> = {};
    const w = new CollapsingWriter({
      outputs,
      write: (r, route) => {
        routes.push(route);
        if (route.stdout) got.stdout?.push(r);
        if (route.sinks[0] !== undefined) got.loki?.push(r);
        if (route.sinks[1] !== undefined) got.syslog?.push(r);
      },
      collapsed: (output) => { collapsed[output] = (collapsed[output] ?? 0) + 1; },
      now: () => Date.now(),
    });
    for (let i = 0; i < 10; i++) w.write(rec('flood', Date.now() + i), 'k', Date.now() + i);
    w.flush();

    const summed = (records: LogRecord[]): number => records.reduce((n, r) => n + (typeof r.repeated === 'number' ? r.repeated : 1), 0);
    expect(Object.fromEntries(Object.entries(got).map(([name, records]) => [name, summed(records)]))).toEqual({ stdout: 10, loki: 10, syslog: 10 });
    expect(got.stdout?.map((r) => r.repeated)).toEqual(new Array(10).fill(undefined));
    expect(got.loki?.map((r) => r.repeated)).toEqual([undefined, 9]);
    expect(got.syslog?.map((r) => r.repeated)).toEqual([undefined, undefined, undefined, 7]);
    expect(collapsed).toEqual({ loki: 9, syslog: 7 });
    // The first error goes once to all three, essential in both spools; syslog's later copies are repeats there.
    expect(routes[0]).toEqual({ stdout: true, sinks: [KEEP.essential, KEEP.essential] });
    expect(routes[1]).toEqual({ stdout: true, sinks: [undefined, KEEP.repeat] });
    expect(routes[3]).toEqual({ stdout: true, sinks: [undefined, undefined] });
    expect(routes.length).toBe(12);
  });

  it('outputs with the same settings share one count', () => {
    const routes: Route[] = [];
    const collapsed: string[] = [];
    const outputs = [{ name: 'stdout', windowMs: 1000, burst: 1 }, { name: 'loki', windowMs: 1000, burst: 1 }];
    const w = new CollapsingWriter({ outputs, write: (_r, route) => routes.push(route), collapsed: (output) => collapsed.push(output), now: () => Date.now() });
    w.write(rec('flood', T), 'k', T);
    w.write(rec('flood', T), 'k', T);
    w.flush();
    expect(routes).toEqual([{ stdout: true, sinks: [KEEP.essential] }, { stdout: true, sinks: [KEEP.repeat] }]);
    expect(collapsed).toEqual(['stdout', 'loki']);
  });
});
