import { afterEach, describe, expect, it, vi } from 'vitest';
import { KEEP } from '../src/telemetry/logs/keep.js';
import { LogPipeline, type LineOutput, type SpooledSink } from '../src/telemetry/logs/log-pipeline.js';
import type { LineBytes } from '../src/telemetry/logs/line-bytes.js';
import type { LogRecord } from '../src/telemetry/logs/log-record.js';
import { Redactor } from '../src/telemetry/logs/redact.js';

/** One shared journal of every call, so the order across sinks and stdout can be checked. */
type Journal = string[];

class FakeSink implements SpooledSink {
  readonly lines: string[] = [];
  readonly records: LogRecord[] = [];
  /** When set, flush() waits for this before it resolves (a slow fsync). */
  gate: Promise<void> | undefined;
  fail: 'append' | 'flush' | undefined;
  /** entry() throws for a record with this msg. */
  refuse: string | undefined;

  constructor(readonly name: string, readonly journal: Journal) {}

  /** The record as it reached the sink, and its line as the entry. */
  entry(record: LogRecord, line: string): string {
    if (record.msg === this.refuse) throw new Error(`${this.name}: cannot take it`);
    this.records.push(record);
    return line;
  }

  append(entries: LineBytes): void {
    this.journal.push(`${this.name}.append(${String(entries.count)})`);
    if (this.fail === 'append') throw new Error(`${this.name}: disk full`);
    this.lines.push(...Buffer.concat(entries.pieces()).toString('utf8').split('\n').slice(0, -1));
  }

  async flush(): Promise<void> {
    await this.gate;
    if (this.fail === 'flush') throw new Error(`${this.name}: fsync failed`);
    this.journal.push(`${this.name}.durable`);
  }
}

class FakeStdout implements LineOutput {
  readonly chunks: string[] = [];
  writableLength = 0;

  constructor(readonly journal: Journal) {}

  write(chunk: string): boolean {
    this.journal.push(`stdout(${String(chunk.split('\n').length - 1)})`);
    this.chunks.push(chunk);
    return true;
  }

  get lines(): string[] {
    return this.chunks.join('').split('\n').filter((l) => l !== '');
  }
}

const rec = (msg: string, source: LogRecord['source'] = 'cloudflared'): LogRecord => ({ level: 30, time: 1_700_000_000_000, msg, source });

function setup(options: { secrets?: string[]; sinks?: string[]; stdoutMaxBufferBytes?: number } = {}) {
  const journal: Journal = [];
  const sinks = (options.sinks ?? ['loki']).map((name) => new FakeSink(name, journal));
  const stdout = new FakeStdout(journal);
  const errors: { sink: string; message: string; records: number }[] = [];
  const pipeline = new LogPipeline({
    redactor: new Redactor(options.secrets ?? []),
    sinks,
    stdout,
    ...(options.stdoutMaxBufferBytes === undefined ? {} : { stdoutMaxBufferBytes: options.stdoutMaxBufferBytes }),
    onSinkError: (sink, error, records) => {
      errors.push({ sink, message: (error as Error).message, records });
    },
  });
  return { journal, sinks, stdout, errors, pipeline };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('LogPipeline', () => {
  it('makes records durable in every sink before stdout sees them', async () => {
    const { journal, sinks, stdout, pipeline } = setup({ sinks: ['loki', 'syslog'] });
    let release = (): void => undefined;
    const loki = sinks[0];
    if (loki !== undefined) loki.gate = new Promise<void>((r) => { release = r; });
    pipeline.write(rec('one'));
    pipeline.write(rec('two'));
    const flushed = pipeline.flush();
    await vi.waitFor(() => { expect(journal).toContain('syslog.durable'); });
    // syslog is durable but loki is still syncing: nothing may be visible yet.
    expect(stdout.chunks).toEqual([]);
    release();
    await flushed;
    expect(journal).toEqual(['loki.append(2)', 'syslog.append(2)', 'syslog.durable', 'loki.durable', 'stdout(2)']);
    expect(stdout.lines.map((l) => (JSON.parse(l) as LogRecord).msg)).toEqual(['one', 'two']);
    expect(sinks[1]?.lines).toEqual(stdout.lines);
  });

  it('writes a routed record only to the outputs its route names, with its keep class per sink', async () => {
    const { sinks, stdout, pipeline } = setup({ sinks: ['loki', 'syslog'] });
    const kept: number[][] = [[], []];
    for (const [i, sink] of sinks.entries()) {
      const append = sink.append.bind(sink);
      sink.append = (entries) => { kept[i]?.push(...entries.keeps()); append(entries); };
    }
    pipeline.write(rec('everywhere'), { stdout: true, sinks: [KEEP.essential, KEEP.routine] });
    pipeline.write(rec('loki only'), { stdout: false, sinks: [KEEP.repeat, undefined] });
    pipeline.write(rec('stdout and syslog'), { stdout: true, sinks: [undefined, KEEP.notable] });
    await pipeline.close();
    const msgs = (lines: string[]): string[] => lines.map((l) => (JSON.parse(l) as LogRecord).msg);
    expect(msgs(stdout.lines)).toEqual(['everywhere', 'stdout and syslog']);
    expect(msgs(sinks[0]?.lines ?? [])).toEqual(['everywhere', 'loki only']);
    expect(msgs(sinks[1]?.lines ?? [])).toEqual(['everywhere', 'stdout and syslog']);
    expect(kept).toEqual([[KEEP.essential, KEEP.repeat], [KEEP.routine, KEEP.notable]]);
    expect(pipeline.counters).toMatchObject({ records: 3, stdoutWritten: 2 });
  });

  it('redacts before any sink and stdout, and serialises each record once for all of them', async () => {
    const { sinks, stdout, pipeline } = setup({ secrets: ['Qv8ZpLm2Xw'] });
    pipeline.write({ ...rec('dest https://h/Qv8ZpLm2Xw'), fields: { token: 'abc', path: '/Qv8ZpLm2Xw' } });
    await pipeline.flush();
    const sink = sinks[0];
    expect(sink?.records[0]).toMatchObject({ msg: 'dest https://h/<redacted>', fields: { token: '<redacted>', path: '/<redacted>' } });
    expect(stdout.lines).toEqual(sink?.lines);
    expect(stdout.lines[0]).not.toContain('Qv8ZpLm2Xw');
  });

  it('counts a failing sink, reports it, and still feeds stdout and the other sinks', async () => {
    const { sinks, stdout, errors, pipeline } = setup({ sinks: ['loki', 'syslog'] });
    const [loki, syslog] = sinks;
    if (loki === undefined || syslog === undefined) throw new Error('two sinks expected');
    loki.fail = 'flush';
    syslog.fail = 'append';
    pipeline.write(rec('a'));
    pipeline.write(rec('b'));
    await pipeline.flush();
    expect(pipeline.counters.sinkErrors).toEqual({ loki: 2, syslog: 2 });
    expect(errors).toEqual([
      { sink: 'syslog', message: 'syslog: disk full', records: 2 },
      { sink: 'loki', message: 'loki: fsync failed', records: 2 },
    ]);
    expect(stdout.lines).toHaveLength(2);
    loki.fail = undefined;
    pipeline.write(rec('c'));
    await pipeline.flush();
    expect(pipeline.counters.sinkErrors).toEqual({ loki: 2, syslog: 3 });
    expect(stdout.lines).toHaveLength(3);
  });

  it('drops and counts stdout lines while the reader lags beyond the buffer bound, then resumes', async () => {
    const { sinks, stdout, pipeline } = setup({ stdoutMaxBufferBytes: 1000 });
    stdout.writableLength = 1001;
    pipeline.write(rec('a'));
    pipeline.write(rec('b'));
    await pipeline.flush();
    expect(stdout.chunks).toEqual([]);
    expect(pipeline.counters).toMatchObject({ stdoutDropped: 2, stdoutWritten: 0 });
    // The spooled sinks never lose what stdout had to drop.
    expect(sinks[0]?.lines).toHaveLength(2);
    stdout.writableLength = 1000;
    pipeline.write(rec('c'));
    await pipeline.flush();
    expect(pipeline.counters).toMatchObject({ stdoutDropped: 2, stdoutWritten: 1 });
  });

  it('flushes by itself after flushIntervalMs, one batch for many records', async () => {
    vi.useFakeTimers();
    const journal: Journal = [];
    const sink = new FakeSink('loki', journal);
    const stdout = new FakeStdout(journal);
    const pipeline = new LogPipeline({ redactor: new Redactor(), sinks: [sink], stdout, flushIntervalMs: 50 });
    pipeline.write(rec('a'));
    await vi.advanceTimersByTimeAsync(30);
    pipeline.write(rec('b'));
    await vi.advanceTimersByTimeAsync(19);
    expect(journal).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(journal).toEqual(['loki.append(2)', 'loki.durable', 'stdout(2)']);
  });

  it('keeps batch order on stdout when an earlier flush is still syncing', async () => {
    const { sinks, stdout, pipeline } = setup();
    let release = (): void => undefined;
    const sink = sinks[0];
    if (sink !== undefined) sink.gate = new Promise<void>((r) => { release = r; });
    pipeline.write(rec('first'));
    const first = pipeline.flush();
    pipeline.write(rec('second'));
    const second = pipeline.flush();
    release();
    await Promise.all([first, second]);
    expect(stdout.lines.map((l) => (JSON.parse(l) as LogRecord).msg)).toEqual(['first', 'second']);
  });

  it('delivers what is written while a delivery runs as one batch after it, however many flushes asked', async () => {
    const { journal, sinks, stdout, pipeline } = setup();
    let release = (): void => undefined;
    const sink = sinks[0];
    if (sink !== undefined) sink.gate = new Promise<void>((r) => { release = r; });
    pipeline.write(rec('first'));
    const first = pipeline.flush();
    await vi.waitFor(() => { expect(journal).toEqual(['loki.append(1)']); });
    pipeline.write(rec('second'));
    const second = pipeline.flush();
    pipeline.write(rec('third'));
    const third = pipeline.flush();
    release();
    await Promise.all([first, second, third]);
    expect(journal).toEqual(['loki.append(1)', 'loki.durable', 'stdout(1)', 'loki.append(2)', 'loki.durable', 'stdout(2)']);
    expect(stdout.lines.map((l) => (JSON.parse(l) as LogRecord).msg)).toEqual(['first', 'second', 'third']);
  });

  it('loses a record a sink cannot take for that sink only, and counts it', async () => {
    const { sinks, stdout, errors, pipeline } = setup({ sinks: ['loki', 'syslog'] });
    const [loki, syslog] = sinks;
    if (loki === undefined || syslog === undefined) throw new Error('two sinks expected');
    loki.refuse = 'b';
    for (const msg of ['a', 'b', 'c']) pipeline.write(rec(msg));
    await pipeline.flush();
    expect(loki.lines.map((l) => (JSON.parse(l) as LogRecord).msg)).toEqual(['a', 'c']);
    expect(syslog.lines).toHaveLength(3);
    expect(stdout.lines).toHaveLength(3);
    expect(pipeline.counters.sinkErrors).toEqual({ loki: 1 });
    expect(errors).toEqual([{ sink: 'loki', message: 'loki: cannot take it', records: 1 }]);
  });

  it('counts records by source', () => {
    const { pipeline } = setup();
    pipeline.write(rec('a', 'cloudflared'));
    pipeline.write(rec('b', 'tunnelwatch'));
    pipeline.write(rec('c', 'tunnelwatch'));
    expect(pipeline.counters).toMatchObject({ records: 3, bySource: { cloudflared: 1, tunnelwatch: 2 } });
  });

  it('close() delivers what is queued and then accepts nothing more', async () => {
    const { sinks, stdout, pipeline } = setup();
    pipeline.write(rec('last words'));
    await pipeline.close();
    expect(stdout.lines).toHaveLength(1);
    expect(sinks[0]?.lines).toHaveLength(1);
    pipeline.write(rec('too late'));
    await pipeline.flush();
    expect(pipeline.counters.records).toBe(1);
    expect(stdout.lines).toHaveLength(1);
  });

  it('does nothing on a flush with nothing queued', async () => {
    const { journal, pipeline } = setup();
    await pipeline.flush();
    expect(journal).toEqual([]);
  });
});

describe('LogPipeline backpressure', () => {
  it('asks the producer to pause while a slow sink holds more than the bound, and to resume once the backlog halved', async () => {
    const journal: Journal = [];
    const sink = new FakeSink('loki', journal);
    let release!: () => void;
    sink.gate = new Promise((resolve) => { release = resolve; });
    const pressure: boolean[] = [];
    const pipeline = new LogPipeline({ redactor: new Redactor([]), sinks: [sink], maxQueuedBytes: 2000, onPressure: (p) => pressure.push(p) });
    for (let i = 0; i < 40; i++) pipeline.write(rec(`line ${String(i).padStart(3, '0')} ${'x'.repeat(40)}`));
    expect(pressure).toEqual([true]);
    release();
    await pipeline.close();
    expect(pressure).toEqual([true, false]);
    expect(sink.lines).toHaveLength(40);
  });

  it('close() flushes what was written before it and refuses what comes after', async () => {
    const journal: Journal = [];
    const sink = new FakeSink('loki', journal);
    const pipeline = new LogPipeline({ redactor: new Redactor([]), sinks: [sink] });
    pipeline.write(rec('before'));
    const closing = pipeline.close();
    pipeline.write(rec('after close'));
    await closing;
    expect(sink.lines.map((l) => (JSON.parse(l) as LogRecord).msg)).toEqual(['before']);
  });
});
