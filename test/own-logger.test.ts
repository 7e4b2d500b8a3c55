import { describe, expect, it } from 'vitest';
import { createLogger, type LogRecord, type RecordLabels } from '../src/telemetry/logs/index.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error', labels: RecordLabels = {}, mixin?: () => object) {
  const records: LogRecord[] = [];
  const log = createLogger({ write: (r) => records.push(r) }, { level, labels, ...(mixin ? { mixin } : {}) });
  return { log, records };
}

describe('own logger', () => {
  it('builds the record as an object in pino shape, fields after labels, msg and source last', () => {
    const labels: RecordLabels = { replica: 'r0' };
    const { log, records } = capture('info', labels, () => ({ trace_id: 't1' }));
    log.info({ pid: 7 }, 'cloudflared started');
    labels.connector_id = 'c-1';
    log.warn('later');
    expect(records).toHaveLength(2);
    expect(Object.keys(records[0] ?? {})).toEqual(['level', 'time', 'replica', 'trace_id', 'pid', 'msg', 'source']);
    expect(records[0]).toMatchObject({ level: 30, replica: 'r0', trace_id: 't1', pid: 7, msg: 'cloudflared started', source: 'tunnelwatch' });
    expect(typeof records[0]?.time).toBe('number');
    expect(records[1]).toMatchObject({ level: 40, connector_id: 'c-1', msg: 'later' });
  });

  it('drops calls below its level and keeps source whatever the fields say', () => {
    const { log, records } = capture('warn');
    log.debug('no');
    log.info({ a: 1 }, 'no');
    log.error({ source: 'cloudflared' }, 'yes');
    expect(records.map((r) => [r.level, r.msg, r.source])).toEqual([[50, 'yes', 'tunnelwatch']]);
  });
});
