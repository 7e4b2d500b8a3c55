// pino-loki 3.0.0 (as a pino transport, its defaults) and tunnelwatch's Loki sink through the same outage of a real
// Grafana Loki: both write the same numbered lines at the same pace; Loki is killed (SIGKILL) during the burst and
// started again on its data a while later; then each gets time to deliver. Prints what each delivered, lost and
// doubled, counted by querying Loki. Not a test: figures for README's choice of sink.
// Run: npm run build && node dist/bench/loki-outage.bench.js   (BENCH_OUTAGE_SECONDS=N to change the outage)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LineBytes } from '../src/telemetry/logs/line-bytes.js';
import { openLokiSink } from '../src/telemetry/sinks/loki-sink.js';
import { RunningLoki } from './loki-server.js';
import { sleep } from './support.js';

const RATE = 200;
const WRITE_SECONDS = 20;
const DOWN_AT_SECONDS = 5;
const OUTAGE_SECONDS = Number(process.env.BENCH_OUTAGE_SECONDS ?? 8);
const DELIVER_SECONDS = 30;

interface Writer {
  readonly name: string;
  write(seq: number): void;
  /** Ends the writer the way its process would at shutdown. */
  close(): Promise<void>;
}

function pinoLoki(url: string): Writer {
  const transport = pino.transport({ target: 'pino-loki', options: { host: url, labels: { job: 'pino-loki' }, silenceErrors: true } });
  const logger = pino({ base: undefined }, transport);
  return {
    name: 'pino-loki 3.0.0 (defaults: 5 s batches)',
    write: (seq) => { logger.info({ seq }, 'a numbered line'); },
    close: () => new Promise<void>((resolve) => {
      transport.once('close', () => { resolve(); });
      transport.end();
    }),
  };
}

async function tunnelwatchSink(url: string, dir: string): Promise<Writer> {
  const sink = await openLokiSink({ url, labels: { job: 'tunnelwatch-sink' }, batchMaxRecords: 1000, batchMaxBytes: 1 << 20 }, { dir, maxBytes: 256 << 20 });
  sink.start();
  return {
    name: 'tunnelwatch Loki sink (spool, defaults)',
    write: (seq) => {
      const record = { level: 30, time: Date.now(), source: 'tunnelwatch' as const, seq, msg: 'a numbered line' };
      sink.append(LineBytes.of([sink.entry(record, JSON.stringify(record))]));
      void sink.flush();
    },
    // What its `run` does on SIGTERM: ship until the spool is empty or the deadline.
    close: () => sink.stop(DELIVER_SECONDS * 1000),
  };
}

/** Numbered lines in Loki for `job`: how many distinct, and how many entries in all. */
async function delivered(loki: RunningLoki, job: string, total: number): Promise<{ distinct: number; entries: number }> {
  const seen = new Map<number, number>();
  const startMs = Date.now() - 3_600_000;
  // Loki answers at most 5000 entries a query: read the stream in windows of 1000 sequence numbers.
  for (let from = 0; from < total; from += 1000) {
    const entries = await loki.entries(`{job="${job}"} | json | seq >= ${String(from)} and seq < ${String(from + 1000)}`, { startMs });
    for (const e of entries) {
      const seq = (JSON.parse(e.line) as { seq: number }).seq;
      seen.set(seq, (seen.get(seq) ?? 0) + 1);
    }
  }
  return { distinct: seen.size, entries: [...seen.values()].reduce((a, b) => a + b, 0) };
}

async function main(): Promise<void> {
  const loki = await RunningLoki.start();
  const spool = mkdtempSync(join(tmpdir(), 'tw-bench-outage-'));
  const writers = [pinoLoki(loki.url), await tunnelwatchSink(loki.url, spool)];
  const total = RATE * WRITE_SECONDS;
  const started = Date.now();
  let killedAt = 0;
  for (let seq = 0; seq < total; seq++) {
    for (const w of writers) w.write(seq);
    const at = started + ((seq + 1) * 1000) / RATE;
    if (killedAt === 0 && at - started >= DOWN_AT_SECONDS * 1000) {
      await loki.kill();
      killedAt = Date.now();
      setTimeout(() => { void loki.resume(); }, OUTAGE_SECONDS * 1000);
    }
    await sleep(Math.max(0, at - Date.now()));
  }
  const closing = Date.now();
  await Promise.all(writers.map((w) => w.close()));
  const closeSeconds = (Date.now() - closing) / 1000;
  await sleep(2000);

  console.log(`# Loki outage: ${String(total)} lines at ${String(RATE)}/s from each writer; Loki killed at ${String(DOWN_AT_SECONDS)} s, back ${String(OUTAGE_SECONDS)} s later; each writer then closed (took ${closeSeconds.toFixed(1)} s for both)`);
  for (const [w, job] of [[writers[0], 'pino-loki'], [writers[1], 'tunnelwatch-sink']] as const) {
    const got = await delivered(loki, job, total);
    const lost = total - got.distinct;
    console.log(`loki-outage ${job.padEnd(17)} delivered ${String(got.distinct).padStart(5)}/${String(total)}  lost ${String(lost).padStart(5)} (${((100 * lost) / total).toFixed(1)} %)  doubled ${String(got.entries - got.distinct)}  — ${w?.name ?? job}`);
  }
  console.log('target: tunnelwatch loses 0 lines through an outage shorter than its spool; pino-loki drops every batch it pushed while Loki was down');
  await loki.close();
  rmSync(spool, { recursive: true, force: true });
}

await main();
