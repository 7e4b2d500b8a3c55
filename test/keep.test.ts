// The keep class each record is written with: what a full spool drops first.
import { describe, expect, it } from 'vitest';
import { CollapsingWriter } from '../src/sidecar/collapsing-writer.js';
import { ConnectorKeep, KEEP, keepByLevel, type KeepClass, LineBytes, LogPipeline, type LogRecord, Redactor, shippedKeep, type SpooledSink } from '../src/telemetry/logs/index.js';

const rec = (level: number, msg: string): LogRecord => ({ level, time: 0, msg, source: 'cloudflared' });

describe('keep classes', () => {
  it('by level: warnings and above outlast routine records', () => {
    expect([10, 20, 30, 40, 50, 60].map(keepByLevel)).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it('a cloudflared run: its start-up records and each error key\'s first occurrence are essential', () => {
    const keep = new ConnectorKeep();
    keep.runStarted();
    const startup = Array.from({ length: 30 }, () => keep.essential(30, 'info'));
    expect(new Set(startup)).toEqual(new Set([true]));
    expect(keep.essential(30, 'info')).toBe(false);
    expect(keep.essential(50, 'dial')).toBe(true);
    expect(keep.essential(50, 'dial')).toBe(false);
    keep.runStarted();
    expect(keep.essential(50, 'dial')).toBe(true);
  });

  it('a record shipped as it came: essential first, then a repeat within its window, then by level', () => {
    expect(shippedKeep(true, true, 30)).toBe(KEEP.essential);
    expect(shippedKeep(false, true, 50)).toBe(KEEP.repeat);
    expect(shippedKeep(false, false, 50)).toBe(KEEP.notable);
    expect(shippedKeep(false, false, 30)).toBe(KEEP.routine);
  });

  it('the collapsing writer: a window\'s later copies and its summary are repeats', () => {
    let now = 0;
    const written: [string, KeepClass | undefined][] = [];
    const outputs = [{ name: 'stdout', windowMs: 1000, burst: 3 }, { name: 'loki', windowMs: 1000, burst: 3 }];
    const w = new CollapsingWriter({ outputs, write: (r, route) => written.push([typeof r.repeated === 'number' ? String(r.repeated) : r.msg, route.sinks[0]]), collapsed: () => undefined, now: () => now });
    for (let i = 0; i < 5; i++) w.write(rec(50, 'refused'), 'refused', now);
    now = 2000;
    w.flush();
    expect(written).toEqual([['refused', KEEP.essential], ['refused', KEEP.repeat], ['refused', KEEP.repeat], ['2', KEEP.repeat]]);
  });

  it('the pipeline: tunnelwatch\'s own first records are essential, then its records go by level', async () => {
    const seen: number[] = [];
    const sink: SpooledSink = {
      name: 'test',
      entry: (_record, line) => line,
      append: (entries: LineBytes) => { seen.push(...entries.keeps()); },
      flush: () => Promise.resolve(),
    };
    const pipeline = new LogPipeline({ redactor: new Redactor(), sinks: [sink] });
    for (let i = 0; i < 31; i++) pipeline.write({ level: 30, time: 0, msg: `own ${String(i)}`, source: 'tunnelwatch' });
    pipeline.write({ level: 40, time: 0, msg: 'own warning', source: 'tunnelwatch' });
    pipeline.write(rec(30, 'cloudflared'), KEEP.repeat);
    await pipeline.close();
    expect(seen.slice(0, 30)).toEqual(new Array(30).fill(KEEP.essential));
    expect(seen.slice(30)).toEqual([KEEP.routine, KEEP.notable, KEEP.repeat]);
  });
});
