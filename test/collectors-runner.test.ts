// The collector runner with fake timers and fake collectors: cadence without overlap, deadlines, failures that
// never stop the others, stop() and runOnce(), and one span per run.
import { SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CollectContext, Collector } from '../src/collectors/collector.js';
import { CollectorRunner } from '../src/collectors/runner.js';
import type { Observation } from '../src/state/observations.js';
import { recordSpans } from './helpers/recorded-spans.js';

const exporter = recordSpans();

let runner: CollectorRunner | undefined;
beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  exporter.reset();
});
afterEach(async () => {
  await runner?.stop();
  runner = undefined;
  vi.useRealTimers();
});

const tick = (at: number): Observation => ({ kind: 'tick', at });

/** A collector whose runs take `takesMs` (fake time) unless `behave` says otherwise; records each run's start. */
function fake(
  name: string,
  intervalMs: number,
  behave: (ctx: CollectContext, run: number) => Promise<readonly Observation[]> = (ctx) => Promise.resolve([tick(ctx.now())]),
) {
  const starts: number[] = [];
  const collector: Collector = {
    name,
    intervalMs,
    collect: (ctx) => {
      starts.push(Date.now());
      return behave(ctx, starts.length);
    },
  };
  return { collector, starts };
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }, { once: true });
  });

function start(collectors: Collector[], sink: (o: Observation) => void = () => undefined): CollectorRunner {
  runner = new CollectorRunner(collectors, (batch) => { for (const o of batch) sink(o); }, { now: () => Date.now(), monotonic: () => Date.now() });
  runner.start();
  return runner;
}

describe('scheduling', () => {
  it('runs at once, then the interval after each run ends, so runs never overlap', async () => {
    const slow = fake('slow', 1000, async (ctx) => {
      await sleep(300, ctx.signal);
      return [tick(ctx.now())];
    });
    const seen: Observation[] = [];
    const r = start([slow.collector], (o) => seen.push(o));
    await vi.advanceTimersByTimeAsync(3000);
    expect(slow.starts.map((t) => t - 1_000_000)).toEqual([0, 1300, 2600]);
    expect(seen.map((o) => o.at - 1_000_000)).toEqual([300, 1600, 2900]);
    expect(r.stats.get('slow')).toEqual({ name: 'slow', lastDurationSeconds: 0.3, lastSuccess: true, runs: 3, failures: 0 });
  });

  it('reads intervalMs after every run, so a collector can stretch its own interval', async () => {
    let interval = 1000;
    const stretching = fake('stretching', 0, (ctx) => {
      interval = 5000;
      return Promise.resolve([tick(ctx.now())]);
    });
    const collector: Collector = { name: 'stretching', get intervalMs() { return interval; }, collect: (ctx) => stretching.collector.collect(ctx) };
    start([collector]);
    await vi.advanceTimersByTimeAsync(6000);
    expect(stretching.starts.map((t) => t - 1_000_000)).toEqual([0, 5000]);
  });

  it('lists every collector in stats from the start, and refuses two with one name', () => {
    const r = new CollectorRunner([fake('a', 1000).collector, fake('b', 1000).collector], () => undefined);
    expect([...r.stats.values()]).toEqual([
      { name: 'a', lastDurationSeconds: 0, lastSuccess: false, runs: 0, failures: 0 },
      { name: 'b', lastDurationSeconds: 0, lastSuccess: false, runs: 0, failures: 0 },
    ]);
    expect(() => new CollectorRunner([fake('a', 1).collector, fake('a', 2).collector], () => undefined)).toThrow(/two collectors are named "a"/);
  });
});

describe('failures', () => {
  it('records a throwing collector as failed and keeps it and the others running', async () => {
    const broken = fake('broken', 1000, (_ctx, run) => (run === 2 ? Promise.resolve([]) : Promise.reject(new Error('boom'))));
    const fine = fake('fine', 1000);
    const seen: Observation[] = [];
    const r = start([broken.collector, fine.collector], (o) => seen.push(o));
    await vi.advanceTimersByTimeAsync(2500);
    expect(broken.starts).toHaveLength(3);
    expect(fine.starts).toHaveLength(3);
    expect(seen).toHaveLength(3);
    expect(r.stats.get('broken')).toMatchObject({ lastSuccess: false, lastError: 'boom', runs: 3, failures: 2 });
    expect(r.stats.get('fine')).toMatchObject({ lastSuccess: true, runs: 3, failures: 0 });
  });

  it('aborts a run at its deadline (the interval), records it failed and drops its late observations', async () => {
    const signals: AbortSignal[] = [];
    const stuck = fake('stuck', 1000, async (ctx) => {
      signals.push(ctx.signal);
      // Ignores the abort for a while, then answers anyway.
      await sleep(1500);
      return [tick(ctx.now())];
    });
    const seen: Observation[] = [];
    const r = start([stuck.collector], (o) => seen.push(o));
    await vi.advanceTimersByTimeAsync(1000);
    expect(signals[0]?.aborted).toBe(true);
    expect(r.stats.get('stuck')).toMatchObject({ lastSuccess: false, lastDurationSeconds: 1, runs: 1, failures: 1 });
    expect(r.stats.get('stuck')?.lastError).toMatch(/collector stuck missed its deadline of 1s/);
    // The next run waits for the stuck one to settle (1.5 s) plus the interval: no overlap.
    await vi.advanceTimersByTimeAsync(1499);
    expect(stuck.starts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(stuck.starts).toHaveLength(2);
    expect(stuck.starts[1]).toBe(1_000_000 + 2500);
    expect(seen).toEqual([]);
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'collect stuck');
    expect(spans[0]?.status.code).toBe(SpanStatusCode.ERROR);
    // stop() waits for the second stuck run too.
    let stopped = false;
    const stopping = r.stop().then(() => {
      stopped = true;
    });
    await vi.advanceTimersByTimeAsync(1499);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    runner = undefined;
  });

  it('counts a sink that throws as a failed run', async () => {
    const r = start([fake('a', 1000).collector], () => {
      throw new Error('full');
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(r.stats.get('a')).toMatchObject({ lastSuccess: false, lastError: 'the observation sink threw: full', failures: 1 });
  });
});

describe('stop and runOnce', () => {
  it('stop() aborts the runs in flight, waits for them, does not count them, and nothing runs after', async () => {
    let settled = false;
    const long = fake('long', 10_000, async (ctx) => {
      try {
        await sleep(5000, ctx.signal);
        return [];
      } finally {
        settled = true;
      }
    });
    const r = start([long.collector]);
    await vi.advanceTimersByTimeAsync(100);
    await r.stop();
    expect(settled).toBe(true);
    expect(r.stats.get('long')).toMatchObject({ runs: 0, failures: 0 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(long.starts).toHaveLength(1);
  });

  it('hands one run\'s observations to the sink in one call', async () => {
    const many = fake('many', 1000, (ctx) => Promise.resolve([tick(ctx.now()), tick(ctx.now()), tick(ctx.now())]));
    const calls: number[] = [];
    runner = new CollectorRunner([many.collector], (batch) => calls.push(batch.length), { now: () => Date.now(), monotonic: () => Date.now() });
    await runner.runOnce('many');
    expect(calls).toEqual([3]);
  });

  it('runOnce(name) runs now and resolves when done; it joins a run in flight instead of starting another', async () => {
    const slow = fake('slow', 1000, async (ctx) => {
      await sleep(200, ctx.signal);
      return [tick(ctx.now())];
    });
    const seen: Observation[] = [];
    runner = new CollectorRunner([slow.collector], (batch) => seen.push(...batch), { now: () => Date.now(), monotonic: () => Date.now() });
    const first = runner.runOnce('slow');
    const joined = runner.runOnce();
    await vi.advanceTimersByTimeAsync(200);
    await Promise.all([first, joined]);
    expect(slow.starts).toHaveLength(1);
    expect(seen).toHaveLength(1);
    // Not started: nothing is scheduled after a manual run.
    await vi.advanceTimersByTimeAsync(5000);
    expect(slow.starts).toHaveLength(1);
    await expect(runner.runOnce('nope')).rejects.toThrow('no collector named "nope"; known: slow');
  });

  it('runOnce while started restarts that collector\'s schedule from the manual run', async () => {
    const quick = fake('quick', 1000);
    const r = start([quick.collector]);
    await vi.advanceTimersByTimeAsync(600);
    await r.runOnce('quick');
    await vi.advanceTimersByTimeAsync(1000);
    expect(quick.starts.map((t) => t - 1_000_000)).toEqual([0, 600, 1600]);
  });
});

describe('spans', () => {
  it('wraps each run in "collect <name>" with the collector attribute, nesting the collector\'s own spans', async () => {
    const { inSpan } = await import('../src/telemetry/tracing/spans.js');
    const traced = fake('traced', 1000, (ctx) => inSpan('GET /ready', {}, () => Promise.resolve([tick(ctx.now())])));
    start([traced.collector]);
    await vi.advanceTimersByTimeAsync(0);
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((s) => s.name === 'collect traced');
    const child = spans.find((s) => s.name === 'GET /ready');
    expect(parent?.attributes).toEqual({ collector: 'traced' });
    expect(child?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
  });
});
