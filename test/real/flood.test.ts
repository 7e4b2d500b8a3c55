// The real cloudflared's tight retry loop: with its edge on a closed port it redials at once, about 18,000 lines a
// second of the same three lines over HTTP/2. tunnelwatch must ship a bounded number of records, with summaries
// whose counts are exact (lines read = records shipped + repeats summed + empty lines), and stay within a memory
// bound while it lasts.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserveDeadPort } from '../../src/emulator/origins.js';
import { diagnosisOf, get, metric, status } from '../helpers/run-observe.js';
import { poll, trackedProcesses, type Rec } from '../helpers/run-process.js';
import { startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();

const rssBytes = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'))?.[1] ?? 'NaN') * 1024;

describe('the real cloudflared with its edge on a closed port', () => {
  let world: RealWorld;
  beforeAll(async () => { world = await startRealWorld({ protocol: 'http2' }); });
  afterAll(async () => { await world.stop(); });

  it('floods; tunnelwatch ships bounded output with exact repeat counts per output and bounded memory', async () => {
    const closed = `127.0.0.1:${String(await reserveDeadPort())}`;
    const loki = await p.fakeLoki();
    // Loki collapses harder than stdout (its own burst): each output's counts must still add up.
    const env = {
      ...world.env({ TUNNELWATCH_LOGS_REPEATS_WINDOW: '2s', TUNNELWATCH_LOGS_REPEATS_BURST: '5', TUNNELWATCH_LOGS_LOKI_URL: loki.base, TUNNELWATCH_LOGS_LOKI_REPEATS_BURST: '1' }),
      TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: `--edge,${closed},--cacert,${world.edge.info.caCert}`,
    };
    const run = p.run(env, [], world.cloudflared);
    const pid = await run.connectorPid();
    const lines = async (): Promise<number> => {
      const text = (await get(run, '/metrics')).body;
      return (metric(text, 'tunnelwatch_log_lines_read_total', { stream: 'stderr' }) ?? 0) + (metric(text, 'tunnelwatch_log_lines_read_total', { stream: 'stdout' }) ?? 0);
    };
    let peakRss = 0;
    await poll(async () => {
      peakRss = Math.max(peakRss, rssBytes(run.pid));
      return (await lines()) >= 50_000 ? true : undefined;
    }, '50,000 lines from the retry loop', 60_000);

    // Freeze the loop, let the pipes drain and every window end: then the counts can be compared exactly.
    process.kill(pid, 'SIGSTOP');
    let last = -1;
    await poll(async () => {
      const now = await lines();
      const settled = now === last;
      last = now;
      return settled ? true : undefined;
    }, 'the line count to settle', 20_000);
    await new Promise((r) => setTimeout(r, 2500));
    const text = (await get(run, '/metrics')).body;
    const empty = metric(text, 'tunnelwatch_log_lines_parsed_total', { format: 'empty' }) ?? 0;
    const collapsed = metric(text, 'tunnelwatch_log_lines_collapsed_total', { sink: 'stdout' }) ?? Number.NaN;
    const collapsedForLoki = metric(text, 'tunnelwatch_log_lines_collapsed_total', { sink: 'loki' }) ?? Number.NaN;
    const fromCloudflared = run.records.filter((r) => r.source === 'cloudflared');
    const summaries = fromCloudflared.filter((r): r is Rec & { repeated: number } => typeof r.repeated === 'number');
    const repeated = summaries.reduce((n, r) => n + r.repeated, 0);
    await poll(async () => (metric((await get(run, '/metrics')).body, 'tunnelwatch_log_spool_bytes', { sink: 'loki' }) === 0 ? true : undefined), 'the Loki spool to empty', 30_000);
    const inLoki = (await loki.received()).flatMap((push) => push.values.map(([, line]) => JSON.parse(line) as Rec)).filter((r) => r.source === 'cloudflared');
    const repeatedInLoki = inLoki.reduce((n, r) => n + (typeof r.repeated === 'number' ? r.repeated : 0), 0);
    const summariesInLoki = inLoki.filter((r) => typeof r.repeated === 'number').length;
    // The why under the flood: the closed edge port, named once from the lines that prove it.
    const blocked = diagnosisOf(await status(run), 'tcp_7844_blocked');
    process.kill(pid, 'SIGCONT');

    expect(blocked).toMatchObject({ domain: 'edge_reachability', confidence: 'high' });
    expect(blocked?.evidence[0]?.text).toMatch(/^Unable to establish connection with Cloudflare edge: DialContext error: .*connection refused/);
    expect(run.records.filter((r) => r.event === 'cause_found' && r.cause === 'tcp_7844_blocked')).toHaveLength(1);
    expect(last).toBeGreaterThanOrEqual(50_000);
    expect(repeated).toBe(collapsed);
    expect(fromCloudflared.length - summaries.length + repeated + empty).toBe(last);
    expect(repeatedInLoki).toBe(collapsedForLoki);
    expect(inLoki.length - summariesInLoki + repeatedInLoki + empty).toBe(last);
    expect(inLoki.length).toBeLessThan(fromCloudflared.length);
    // About 3 lines repeat: 5 shipped and one summary per key and 2 s window, plus start-up lines.
    expect(fromCloudflared.length).toBeLessThan(1000);
    expect(summaries.some((s) => String(s.msg).includes('Unable to establish connection with Cloudflare edge') && String(s.first_raw).includes('connection refused'))).toBe(true);
    // The bound README documents (aim 128 MiB; bench/flood-memory.bench.ts measures ten minutes of it).
    expect(peakRss).toBeLessThan(176 * 1024 * 1024);
    console.log(`flood: ${String(last)} lines read; stdout (burst 5) ${String(fromCloudflared.length)} records (${String(summaries.length)} summaries of ${String(repeated)} repeats), Loki (burst 1) ${String(inLoki.length)} records (${String(summariesInLoki)} summaries of ${String(repeatedInLoki)} repeats); peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  });

  it('with repeats not collapsed and Loki down, the full spool keeps the start-up and the first error for when Loki is back', async () => {
    const closed = `127.0.0.1:${String(await reserveDeadPort())}`;
    const lokiPort = await reserveDeadPort();
    const env = {
      ...world.env({ TUNNELWATCH_LOGS_REPEATS_WINDOW: '0s', TUNNELWATCH_LOGS_SPOOL_MAX_BYTES: String(1 << 20), TUNNELWATCH_LOGS_LOKI_URL: `http://127.0.0.1:${String(lokiPort)}` }),
      TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: `--edge,${closed},--cacert,${world.edge.info.caCert}`,
    };
    const run = p.run(env, [], world.cloudflared);
    const pid = await run.connectorPid();
    const droppedBy = async (): Promise<Record<string, number>> => {
      const text = (await get(run, '/metrics')).body;
      return Object.fromEntries(['debug', 'info', 'warn', 'error'].map((level) => [level, metric(text, 'tunnelwatch_log_records_dropped_total', { sink: 'loki', reason: 'overflow', level }) ?? 0]));
    };
    const dropped = async (): Promise<number> => Object.values(await droppedBy()).reduce((a, b) => a + b, 0);
    // 20 MB of records against a 1 MiB spool: most must go.
    await poll(async () => ((await dropped()) >= 20_000 ? true : undefined), '20,000 records dropped from the Loki spool', 60_000);
    process.kill(pid, 'SIGSTOP');
    const loki = await p.fakeLoki(lokiPort);
    await poll(async () => (metric((await get(run, '/metrics')).body, 'tunnelwatch_log_spool_bytes', { sink: 'loki' }) === 0 ? true : undefined), 'the Loki spool to empty', 60_000);
    const inLoki = new Set((await loki.received()).flatMap((push) => push.values.map(([, line]) => (JSON.parse(line) as Rec).raw)));
    const byLevel = await droppedBy();
    const droppedBeforeStop = Object.values(byLevel).reduce((a, b) => a + b, 0);
    process.kill(pid, 'SIGCONT');
    // The drops are logged once for the episode: as it began, and as it ended (here, at the stop).
    run.child.kill('SIGTERM');
    await run.closed;
    const episodes = run.records.filter((r) => r.sink === 'loki' && r.reason === 'overflow' && typeof r.event === 'string' && r.event.startsWith('spool_drops_'));
    expect(episodes.map((r) => r.event)).toEqual(['spool_drops_started', 'spool_drops_ended']);
    expect(Number(episodes[1]?.count)).toBeGreaterThanOrEqual(droppedBeforeStop);

    const fromCloudflared = run.records.filter((r) => r.source === 'cloudflared');
    const startup = fromCloudflared.slice(0, 30).map((r) => r.raw);
    // The first of each error message is the first occurrence of its key (records of different messages never share one).
    const firstErrors = [...new Map(fromCloudflared.filter((r) => r.level === 50).reverse().map((r) => [r.msg, r.raw])).values()];
    expect(startup.filter((raw) => !inLoki.has(raw))).toEqual([]);
    expect(firstErrors.some((raw) => String(raw).includes('Unable to establish connection with Cloudflare edge'))).toBe(true);
    expect(firstErrors.filter((raw) => !inLoki.has(raw))).toEqual([]);
    // Most of the flood was dropped, and what reached Loki is a small part of it.
    expect(inLoki.size).toBeLessThan(fromCloudflared.length / 4);
    console.log(`spool under the flood: ${String(fromCloudflared.length)} records, ${String(droppedBeforeStop)} dropped from a 1 MiB spool (${JSON.stringify(byLevel)}) before the stop, ${String(inLoki.size)} in Loki after the outage, the 30 start-up records and the first of each of the ${String(firstErrors.length)} errors among them`);
  });
});
