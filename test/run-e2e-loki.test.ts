// End to end: the built `tunnelwatch run` with the emulated connector, shipping to a fake Loki in its own
// process. The load is visitor requests to the dead origin: each makes the connector log one origin-error
// line with a unique cfRay, so "every line arrived, once, in order" is checked ray by ray against stdout.
// Durable before visible: whatever reached tunnelwatch's stdout must reach Loki, even across a kill -9.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownRecord } from './helpers/run-observe.js';
import { cfRay, isGone, poll, runEnv, steadyLoad, trackedProcesses, type FakeLoki, type Rec } from './helpers/run-process.js';

const p = trackedProcesses();

/** What Loki holds: the cfRays in arrival order and the streams that carried them. */
async function lokiView(fake: FakeLoki): Promise<{ rays: string[]; streams: Set<string>; ordered: boolean }> {
  const rays: string[] = [];
  const streams = new Set<string>();
  const lastTs = new Map<string, bigint>();
  let ordered = true;
  for (const push of await fake.received()) {
    const key = JSON.stringify(push.stream);
    for (const [ts, line] of push.values) {
      // Loki keeps a stream's order by timestamp: they must rise in the order the lines were pushed.
      if (BigInt(ts) <= (lastTs.get(key) ?? -1n)) ordered = false;
      lastTs.set(key, BigInt(ts));
      const ray = cfRay(JSON.parse(line) as Rec);
      if (ray === undefined) continue;
      rays.push(ray);
      streams.add(key);
    }
  }
  return { rays, streams, ordered };
}

/** Waits until Loki holds at least `n` origin-error lines (more would be duplicates, caught by the caller). */
function lokiHas(fake: FakeLoki, n: number, timeoutMs = 15_000): Promise<Awaited<ReturnType<typeof lokiView>>> {
  return poll(async () => {
    const view = await lokiView(fake);
    return view.rays.length >= n ? view : undefined;
  }, `${String(n)} origin-error lines in Loki`, timeoutMs);
}

/** A port nothing listens on (for now): Loki is "down" until the fake is started on it. */
function reservedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => { resolve(typeof addr === 'object' && addr !== null ? addr.port : 0); });
    });
  });
}

/** The statuses other than the dead origin's 502, with their positions: empty when all are 502 (a failure shows them). */
const not502 = (statuses: number[]): string[] => statuses.flatMap((s, i) => (s === 502 ? [] : [`#${String(i)}: ${String(s)}`]));

describe('tunnelwatch run → Loki, end to end', () => {
  it('delivers every line once and in order after Loki answered 503 during steady load', { timeout: 40_000 }, async () => {
    const fake = await p.fakeLoki();
    const run = p.run(runEnv(p.tempDir('tw-e2e-loki-'), fake.base));
    const { edge } = await run.ports();
    await run.serving();
    await fake.post('/script', new Array<string>(5000).fill('503').join(','));

    expect(not502(await steadyLoad(edge, 200, 10))).toEqual([]);
    await run.until(() => (run.rays().length >= 200 ? true : undefined), '200 origin errors on stdout');
    const shown = run.rays();
    expect(shown).toHaveLength(200);
    expect(new Set(shown).size).toBe(200);
    const outage = await fake.requests();
    expect(outage.some((r) => r.status === 503)).toBe(true);
    expect((await lokiView(fake)).rays).toEqual([]);

    await fake.post('/script', '');
    const loki = await lokiHas(fake, shown.length, 20_000);
    // Exactly once: no push was accepted during the outage, so nothing could have been sent twice.
    expect(loki.rays).toEqual(shown);
    expect(loki.streams.size).toBe(1);
    expect(loki.ordered).toBe(true);
    expect(run.badLines).toEqual([]);
  });

  it('ships what stdout showed before a kill -9 during an outage once restarted on the same spool', { timeout: 40_000 }, async () => {
    const spool = p.tempDir('tw-e2e-loki-');
    const port = await reservedPort();
    const env = runEnv(spool, `http://127.0.0.1:${String(port)}`);
    const first = p.run(env);
    const { edge } = await first.ports();
    await first.serving();
    const oldConnector = await first.connectorPid();
    expect(not502(await steadyLoad(edge, 100, 10))).toEqual([]);
    await first.until(() => (first.rays().length >= 100 ? true : undefined), '100 origin errors on stdout');
    first.child.kill('SIGKILL');
    await first.closed;
    // The orphaned connector lives on until it next writes into its dead pipe; the restart must stop it.
    const orphaned = !isGone(oldConnector);
    // Everything tunnelwatch wrote before it died has been read off the pipe by now.
    const seen = first.rays();
    expect(seen.length).toBeGreaterThanOrEqual(100);

    const fake = await p.fakeLoki(port);
    const second = p.run(env);
    const ports = await second.ports();
    await second.serving();
    const stale = second.records.find((r) => r.source === 'tunnelwatch' && typeof r.msg === 'string' && r.msg.includes('left running by a previous tunnelwatch'));
    if (orphaned) expect(stale?.pid).toBe(oldConnector);
    expect(isGone(oldConnector)).toBe(true);
    expect(second.connectorPids()).not.toContain(oldConnector);

    expect(not502(await steadyLoad(ports.edge, 20, 10))).toEqual([]);
    await second.until(() => (second.rays().length >= 20 ? true : undefined), '20 origin errors on stdout');
    const all = [...seen, ...second.rays()];
    const loki = await lokiHas(fake, all.length, 20_000);
    // Exactly once again: the first run never got a push accepted, so its spool position was never ahead.
    expect(loki.rays).toEqual(all);
    expect(loki.streams.size).toBe(1);
    expect(loki.ordered).toBe(true);
  });

  it('waits as long as a 429 Retry-After asks before pushing again, then delivers', { timeout: 30_000 }, async () => {
    const fake = await p.fakeLoki();
    const run = p.run(runEnv(p.tempDir('tw-e2e-loki-'), fake.base));
    const { edge } = await run.ports();
    await run.serving();
    const before = (await fake.requests()).length;
    await fake.post('/script', '429:retry-after=1');

    expect(not502(await steadyLoad(edge, 20, 10))).toEqual([]);
    await run.until(() => (run.rays().length >= 20 ? true : undefined), '20 origin errors on stdout');
    const loki = await lokiHas(fake, 20);
    expect(loki.rays).toEqual(run.rays());
    const requests = (await fake.requests()).slice(before);
    const limited = requests.findIndex((r) => r.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    const [limitedAt, next] = [requests[limited], requests[limited + 1]];
    expect(next).toBeDefined();
    // The fake stamps each answer; the shipper must not push again within the second it was asked to wait.
    expect((next?.time ?? 0) - (limitedAt?.time ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('a 401 (a rotated password) is an outage with its cause: logged once, nothing quarantined, all delivered after', { timeout: 30_000 }, async () => {
    const fake = await p.fakeLoki();
    const spool = p.tempDir('tw-e2e-loki-');
    const run = p.run(runEnv(spool, fake.base));
    const { edge } = await run.ports();
    await run.serving();
    await fake.post('/script', '401,401,401');
    expect(not502(await steadyLoad(edge, 10, 10))).toEqual([]);
    const outage = await run.until(() => ownRecord(run, 'cannot ship to loki:'), 'the outage record');
    expect(outage).toMatchObject({ level: 50, sink: 'loki', cause: 'Loki rejected the credentials (HTTP 401): check logs.loki.username and logs.loki.password' });
    await run.until(() => ownRecord(run, 'loki takes records again'), 'the recovery record');
    const loki = await lokiHas(fake, 10);
    expect(loki.rays).toEqual(run.rays());
    expect(existsSync(join(spool, 'loki-quarantine.jsonl'))).toBe(false);
    expect(run.records.filter((r) => typeof r.msg === 'string' && r.msg.startsWith('cannot ship to loki:'))).toHaveLength(1);
  });

  it('quarantines the one line Loki rejects with a 400 and delivers every other', { timeout: 30_000 }, async () => {
    const fake = await p.fakeLoki();
    const spool = p.tempDir('tw-e2e-loki-');
    const run = p.run(runEnv(spool, fake.base));
    const { edge } = await run.ports();
    await run.serving();
    // Hold the lines back (Loki busy) until the ray to reject is known from stdout.
    await fake.post('/script', new Array<string>(1000).fill('503:retry-after=1').join(','));
    expect(not502(await steadyLoad(edge, 30, 10))).toEqual([]);
    await run.until(() => (run.rays().length >= 30 ? true : undefined), '30 origin errors on stdout');
    const shown = run.rays();
    const bad = shown[15] ?? '';
    await fake.post('/reject', bad);
    await fake.post('/script', '');

    const quarantine = join(spool, 'loki-quarantine.jsonl');
    // The file exists a moment before its first line is written: wait for a whole line.
    const text = (): string => (existsSync(quarantine) ? readFileSync(quarantine, 'utf8') : '');
    const entries = await poll(() => (text().endsWith('\n') ? text().trim().split('\n') : undefined), 'a line in the quarantine file');
    expect(entries).toHaveLength(1);
    const entry = JSON.parse(entries[0] ?? '{}') as { status: number; record: { line: string; labels: Record<string, string> } };
    expect(entry.status).toBe(400);
    expect(cfRay(JSON.parse(entry.record.line) as Rec)).toBe(bad);

    const good = shown.filter((r) => r !== bad);
    const loki = await lokiHas(fake, good.length);
    expect(loki.rays).toEqual(good);
    expect(loki.ordered).toBe(true);
  });
});
