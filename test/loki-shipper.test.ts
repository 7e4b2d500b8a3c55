import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LokiShipper, parseRetryAfter } from '../src/telemetry/sinks/loki-shipper.js';
import { defaultSleep } from '../src/telemetry/sinks/spool-drain.js';
import type { LokiShipperOptions } from '../src/telemetry/sinks/loki-shipper.js';
import type { LokiPushBody, LokiRecord } from '../src/telemetry/sinks/loki-push.js';
import { Spool } from '../src/telemetry/sinks/spool.js';
import { Secret } from '../src/base/secret.js';

interface Fake { port: number; proc: ChildProcess; base: string }
interface Received { stream: Record<string, string>; values: [string, string][] }

const FAKE = join(import.meta.dirname, 'servers', 'fake-loki.ts');
const children: ChildProcess[] = [];
let dir: string;

beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'loki-ship-')); });
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function startFake(port = 0): Promise<Fake> {
  const proc = spawn(process.execPath, ['--import', 'tsx', FAKE, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => { reject(new Error(`fake loki exited ${code}`)); });
    proc.stdout.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve({ port: Number(m[1]), proc, base: `http://127.0.0.1:${m[1]}` });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => { resolve(typeof addr === 'object' && addr ? addr.port : 0); });
    });
  });
}

const control = async (f: Fake, path: string, body: string): Promise<void> => {
  await fetch(`${f.base}${path}`, { method: 'POST', body });
};
const getJson = async <T>(f: Fake, path: string): Promise<T> => (await fetch(`${f.base}${path}`)).json() as Promise<T>;

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Records the delays the shipper asked for, but waits only a few ms. */
function fastSleep(sleeps: number[]): (ms: number, signal: AbortSignal) => Promise<void> {
  return (ms, signal) => {
    sleeps.push(ms);
    return defaultSleep(Math.min(ms, 5), signal);
  };
}

const rec = (stream: string, i: number): LokiRecord => ({ timestampNs: `${1_700_000_000_000_000_000n + BigInt(i)}`, line: `${stream}-${i}`, labels: { app: stream } });

async function setup(url: string, extra: Partial<LokiShipperOptions> = {}): Promise<{ spool: Spool<LokiRecord>; shipper: LokiShipper; sleeps: number[] }> {
  const spool = await Spool.open<LokiRecord>({ dir: join(dir, 'spool'), maxBytes: 1e7 });
  const sleeps: number[] = [];
  const shipper = new LokiShipper({ spool, url, quarantinePath: join(dir, 'quarantine.jsonl'), sleep: fastSleep(sleeps), random: () => 0.5, batchRecords: 7, timeoutMs: 2000, ...extra });
  return { spool, shipper, sleeps };
}

const lines = (rs: Received[], app: string): string[] => rs.filter((r) => r.stream.app === app).flatMap((r) => r.values.map((v) => v[1]));

describe('LokiShipper against a fake Loki in a child process', () => {
  it('Loki down (connection refused) under steady appends: everything arrives once, in order per stream', async () => {
    const port = await freePort();
    const { spool, shipper } = await setup(`http://127.0.0.1:${port}/loki/api/v1/push`);
    shipper.start();
    let i = 0;
    const appendSome = (): void => { spool.append([rec('a', i), rec('b', i)]); i++; };
    for (; i < 20;) { appendSome(); await new Promise((r) => setTimeout(r, 2)); }
    await until(() => shipper.stats.retries >= 3);
    expect(shipper.stats.lastError).toMatch(/network/);
    expect(shipper.stats.shipped).toBe(0);
    const fake = await startFake(port);
    for (; i < 40;) { appendSome(); shipper.wake(); await new Promise((r) => setTimeout(r, 2)); }
    await shipper.stop(5000);
    const got = await getJson<Received[]>(fake, '/received');
    const want = Array.from({ length: 40 }, (_, k) => k);
    expect(lines(got, 'a')).toEqual(want.map((k) => `a-${k}`));
    expect(lines(got, 'b')).toEqual(want.map((k) => `b-${k}`));
    expect(shipper.stats.shipped).toBe(80);
    expect((await spool.stats()).records).toBe(0);
    await spool.close();
  });

  it('retries 500 with backoff and honours 429 Retry-After (seconds)', async () => {
    const fake = await startFake();
    await control(fake, '/script', '500,429:retry-after=1,204');
    const { spool, shipper, sleeps } = await setup(`${fake.base}/loki/api/v1/push`);
    spool.append([rec('a', 0), rec('a', 1), rec('a', 2)]);
    shipper.start();
    await until(() => shipper.stats.shipped === 3);
    await shipper.stop(1000);
    expect(sleeps.slice(0, 2)).toEqual([375, 1000]); // backoff 500ms base, half jitter at random()=0.5; then Retry-After: 1
    expect(shipper.stats.retries).toBe(2);
    expect((await getJson<{ status: number }[]>(fake, '/requests')).map((r) => r.status)).toEqual([500, 429, 204]);
    expect(lines(await getJson<Received[]>(fake, '/received'), 'a')).toEqual(['a-0', 'a-1', 'a-2']);
    await spool.close();
  });

  it('a 400 for one bad record quarantines only it; the rest arrive and the pipeline goes on', async () => {
    const fake = await startFake();
    await control(fake, '/reject', 'BAD');
    const { spool, shipper } = await setup(`${fake.base}/loki/api/v1/push`);
    const recs = Array.from({ length: 7 }, (_, k) => rec('a', k));
    recs[4] = { ...rec('a', 4), line: 'a-4 BAD' };
    spool.append(recs);
    spool.append([rec('a', 7), rec('a', 8)]);
    shipper.start();
    await until(() => shipper.stats.shipped === 8);
    await shipper.stop(1000);
    expect(shipper.stats.quarantined).toBe(1);
    expect(lines(await getJson<Received[]>(fake, '/received'), 'a')).toEqual(['a-0', 'a-1', 'a-2', 'a-3', 'a-5', 'a-6', 'a-7', 'a-8']);
    const q = (await readFile(join(dir, 'quarantine.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { status: number; cause: string; record: LokiRecord });
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ status: 400, record: { line: 'a-4 BAD' } });
    expect(q[0]?.cause).toMatch(/line_too_long/);
    await spool.close();
  });

  it('a batch peeked but not committed before a crash is delivered after reopen', async () => {
    const fake = await startFake();
    const spool1 = await Spool.open<LokiRecord>({ dir: join(dir, 'spool'), maxBytes: 1e7 });
    spool1.append([rec('a', 0), rec('a', 1), rec('a', 2)]);
    await spool1.peek(10, 1e6); // in flight when the process "dies": spool1 is abandoned, never committed
    const { spool, shipper } = await setup(`${fake.base}/loki/api/v1/push`);
    shipper.start();
    await until(() => shipper.stats.shipped === 3);
    await shipper.stop(1000);
    expect(lines(await getJson<Received[]>(fake, '/received'), 'a')).toEqual(['a-0', 'a-1', 'a-2']);
    await spool.close();
    await spool1.close();
  });

  it('sends basic auth and X-Scope-OrgID, and never puts the password in stats', async () => {
    const fake = await startFake();
    await control(fake, '/script', '503,204');
    const { spool, shipper } = await setup(`${fake.base}/loki/api/v1/push`, { tenant: 'team-a', basicAuth: { username: 'u', password: new Secret('p4ss-w0rd') } });
    spool.append([rec('a', 0)]);
    shipper.start();
    await until(() => shipper.stats.shipped === 1);
    await shipper.stop(1000);
    const reqs = await getJson<{ authorization: string; tenant: string }[]>(fake, '/requests');
    expect(reqs[1]).toMatchObject({ status: 204, authorization: 'Basic dTpwNHNzLXcwcmQ=', tenant: 'team-a' });
    expect(shipper.stats.lastError).toMatch(/HTTP 503/);
    expect(JSON.stringify(shipper.stats)).not.toContain('p4ss');
    await spool.close();
  });

  it('stop() gives up at its deadline while Loki is down and keeps the records spooled', async () => {
    const port = await freePort();
    const { spool, shipper } = await setup(`http://127.0.0.1:${port}/loki/api/v1/push`, { sleep: defaultSleep, backoffBaseMs: 20 });
    spool.append([rec('a', 0), rec('a', 1)]);
    shipper.start();
    const t0 = Date.now();
    await shipper.stop(300);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(shipper.stats.retries).toBeGreaterThan(0);
    expect((await spool.stats()).records).toBe(2);
    await spool.close();
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

/** A fetch that answers every push with `status` and a body echoing the request's Authorization header. */
function echoing(statuses: number[]): { fetch: typeof fetch; calls: () => number } {
  let calls = 0;
  const fetchImpl = ((_url: unknown, init?: RequestInit) => {
    const status = statuses[Math.min(calls, statuses.length - 1)] ?? 204;
    calls++;
    const auth = new Headers(init?.headers).get('authorization') ?? '';
    return Promise.resolve(new Response(status === 204 ? null : `bad request; you sent Authorization: ${auth} (${auth.slice(6)})`, { status }));
  }) as typeof fetch;
  return { fetch: fetchImpl, calls: () => calls };
}

describe('LokiShipper: answers about the sink, not the records', () => {
  const basicAuth = { username: 'tenant-a', password: new Secret('rotated-away-password') };

  it.each([
    [401, 'Loki rejected the credentials (HTTP 401): check logs.loki.username and logs.loki.password'],
    [403, 'Loki refused access (HTTP 403): check the credentials and logs.loki.tenant'],
    [404, 'Loki has no push endpoint at http://loki.invalid/loki/api/v1/push (HTTP 404): check logs.loki.url, to which tunnelwatch appends loki/api/v1/push'],
  ])('%i is an outage with its cause: retried with backoff, nothing quarantined, reported once and cleared on recovery', async (status, cause) => {
    const problems: (string | undefined)[] = [];
    const fake = echoing([status, status, status, 204]);
    const { spool, shipper, sleeps } = await setup('http://loki.invalid/loki/api/v1/push', { fetch: fake.fetch, basicAuth, onProblem: (p) => problems.push(p) });
    spool.append([rec('a', 0), rec('a', 1)]);
    shipper.start();
    await until(() => shipper.stats.shipped === 2);
    await shipper.stop(1000);
    expect(fake.calls()).toBe(4);
    expect(sleeps.slice(0, 3)).toEqual([375, 750, 1500]); // then idle waits, once the spool is empty
    expect(shipper.stats.quarantined).toBe(0);
    expect(problems).toEqual([cause, undefined]);
    await expect(readFile(join(dir, 'quarantine.jsonl'), 'utf8')).rejects.toThrow(/ENOENT/);
    await spool.close();
  });

  it('a rejected record is quarantined with the cause redacted: neither the password nor the Basic credentials', async () => {
    const fake = echoing([400]);
    const { spool, shipper } = await setup('http://loki.invalid/loki/api/v1/push', { fetch: fake.fetch, basicAuth });
    spool.append([rec('a', 0)]);
    shipper.start();
    await until(() => shipper.stats.quarantined === 1);
    await shipper.stop(1000);
    const text = await readFile(join(dir, 'quarantine.jsonl'), 'utf8');
    expect(text).toContain('"status":400');
    expect(text).not.toContain('rotated-away-password');
    expect(text).not.toContain(Buffer.from('tenant-a:rotated-away-password').toString('base64'));
    expect(shipper.stats.lastError).not.toContain(Buffer.from('tenant-a:rotated-away-password').toString('base64'));
    await spool.close();
  });

  it('the quarantine file is bounded: records beyond its size are dropped and counted', async () => {
    const fake = echoing([400]);
    const { spool, shipper } = await setup('http://loki.invalid/loki/api/v1/push', { fetch: fake.fetch, quarantineMaxBytes: 250, batchRecords: 1 });
    spool.append([rec('a', 0), rec('a', 1), rec('a', 2)]);
    shipper.start();
    await until(() => shipper.stats.quarantined + shipper.stats.quarantineDropped === 3);
    await shipper.stop(1000);
    expect(shipper.stats.quarantined).toBe(1);
    expect(shipper.stats.quarantineDropped).toBe(2);
    expect((await readFile(join(dir, 'quarantine.jsonl'), 'utf8')).length).toBeLessThanOrEqual(250);
    await spool.close();
  });
});

/** A clock that moves only when the shipper sleeps, so Loki's bucket refills by exactly the waits asked for. */
function fakeClock(sleeps: number[]): { now: () => number; sleep: (ms: number, signal: AbortSignal) => Promise<void> } {
  let t = Date.now();
  return {
    now: () => t,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      t += ms;
      return defaultSleep(Math.min(ms, 5), signal);
    },
  };
}

/**
 * Loki's ingestion limiter: a token bucket of `burst` bytes refilled at `rate` bytes/s, charged with the line bytes
 * of each push. A push larger than the tokens left is refused whole with Loki's 429 text (and costs nothing).
 */
function tokenBucketLoki(burst: number, rate: number, now: () => number): { fetch: typeof fetch; lines: string[]; acceptedBytes: number[]; refused: () => number } {
  let tokens = burst;
  let at = now();
  let refused = 0;
  const lines: string[] = [];
  const acceptedBytes: number[] = [];
  const fetchImpl = ((_url: unknown, init?: RequestInit) => {
    tokens = Math.min(burst, tokens + ((now() - at) / 1000) * rate);
    at = now();
    const body = init?.body;
    if (typeof body !== 'string') throw new Error('the shipper sends its push body as a JSON string');
    const values = (JSON.parse(body) as LokiPushBody).streams.flatMap((s) => s.values);
    const bytes = values.reduce((n, [, line]) => n + Buffer.byteLength(line), 0);
    if (bytes > tokens) {
      refused++;
      const text = `ingestion rate limit exceeded for user fake (limit: ${rate} bytes/sec) while attempting to ingest '${values.length}' lines totaling '${bytes}' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased`;
      return Promise.resolve(new Response(text, { status: 429 }));
    }
    tokens -= bytes;
    acceptedBytes.push(bytes);
    lines.push(...values.map(([, line]) => line));
    return Promise.resolve(new Response(null, { status: 204 }));
  }) as typeof fetch;
  return { fetch: fetchImpl, lines, acceptedBytes, refused: () => refused };
}

describe("LokiShipper under Loki's ingestion rate limit", () => {
  const BURST = 600 * 1024;
  const RATE = 500 * 1024;
  const big = (i: number, bytes: number): LokiRecord => ({ ...rec('a', i), line: `a-${i} `.padEnd(bytes, 'x') });

  it('a batch larger than the burst is shipped in smaller pushes, each record once and in order', async () => {
    const sleeps: number[] = [];
    const clock = fakeClock(sleeps);
    const loki = tokenBucketLoki(BURST, RATE, clock.now);
    const problems: (string | undefined)[] = [];
    const { spool, shipper } = await setup('http://loki.invalid/loki/api/v1/push', { ...clock, fetch: loki.fetch, batchRecords: 1000, batchBytes: 1 << 20, onProblem: (p) => problems.push(p) });
    const recs = Array.from({ length: 1000 }, (_, i) => big(i, 850));
    spool.append(recs); // one peeked batch, one first push of 850 KB: over the burst
    shipper.start();
    await until(() => shipper.stats.shipped === 1000);
    expect(shipper.stats.pushMaxBytes).toBeLessThanOrEqual(262144);
    await shipper.stop(1000);
    expect(loki.lines).toEqual(recs.map((r) => r.line));
    expect(Math.max(...loki.acceptedBytes)).toBeLessThanOrEqual(BURST);
    expect(shipper.stats.rateLimited).toBeGreaterThan(0);
    expect(shipper.stats.rateLimited).toBe(loki.refused());
    expect(shipper.stats.quarantined).toBe(0);
    expect(problems).toEqual([]);
    expect((await spool.stats()).records).toBe(0);
    await spool.close();
  });

  it('a single record larger than the burst stays spooled and is reported with the limits to raise', async () => {
    const sleeps: number[] = [];
    const clock = fakeClock(sleeps);
    const loki = tokenBucketLoki(BURST, RATE, clock.now);
    const reported: { problem: string | undefined; refusedSoFar: number }[] = [];
    const { spool, shipper } = await setup('http://loki.invalid/loki/api/v1/push', {
      ...clock,
      fetch: loki.fetch,
      batchBytes: 1 << 20,
      onProblem: (problem) => reported.push({ problem, refusedSoFar: loki.refused() }),
    });
    spool.append([big(0, 700_000)]);
    shipper.start();
    await until(() => loki.refused() >= 6);
    await shipper.stop(100);
    // Reported once, on the SPLIT_AFTER-th (3rd) refusal: a record that can never fit is not a passing trouble.
    expect(reported).toHaveLength(1);
    expect(reported[0]?.refusedSoFar).toBe(3);
    expect(reported[0]?.problem).toMatch(/single record \(700000 bytes\) for its rate 3 times in a row.*ingestion_rate_mb and ingestion_burst_size_mb/);
    // Between tries it waited at least what Loki's named rate needs for the push, and never had it accepted.
    expect(Math.min(...sleeps)).toBeGreaterThanOrEqual((700_000 / RATE) * 1000);
    expect(loki.acceptedBytes).toEqual([]);
    expect(shipper.stats.shipped).toBe(0);
    expect(shipper.stats.quarantined).toBe(0);
    await expect(readFile(join(dir, 'quarantine.jsonl'), 'utf8')).rejects.toThrow(/ENOENT/);
    expect((await spool.stats()).records).toBe(1);
    await spool.close();
  });
});
