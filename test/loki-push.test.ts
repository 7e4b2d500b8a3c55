import { describe, expect, it } from 'vitest';
import { buildPushBody, labelKey, msToNs } from '../src/telemetry/sinks/loki-push.js';

describe('buildPushBody', () => {
  it('groups records into streams by label set, keeping order per stream', () => {
    const body = buildPushBody([
      { timestampNs: '3', line: 'a1', labels: { app: 'a', level: 'info' } },
      { timestampNs: '1', line: 'b1', labels: { app: 'b' } },
      { timestampNs: '2', line: 'a2', labels: { level: 'info', app: 'a' } },
      { timestampNs: '2', line: 'b2', labels: { app: 'b' } },
    ]);
    expect(body).toEqual({
      streams: [
        { stream: { app: 'a', level: 'info' }, values: [['3', 'a1'], ['2', 'a2']] },
        { stream: { app: 'b' }, values: [['1', 'b1'], ['2', 'b2']] },
      ],
    });
    expect(typeof body.streams[0]?.values[0]?.[0]).toBe('string');
  });

  it('gives an empty stream list for no records', () => {
    expect(buildPushBody([])).toEqual({ streams: [] });
  });

  it('label keys ignore order but not values', () => {
    expect(labelKey({ a: '1', b: '2' })).toBe(labelKey({ b: '2', a: '1' }));
    expect(labelKey({ a: '1' })).not.toBe(labelKey({ a: '2' }));
  });

  it('converts ms to a ns string without float loss', () => {
    expect(msToNs(1795810843644)).toBe('1795810843644000000');
  });
});
