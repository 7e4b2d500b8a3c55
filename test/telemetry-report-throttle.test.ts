import { describe, expect, it } from 'vitest';
import { ReportThrottle } from '../src/telemetry/logs/report-throttle.js';

describe('ReportThrottle', () => {
  it('reports at once, then at most once an interval with everything counted since, per key', () => {
    const t = new ReportThrottle(60_000);
    expect(t.add('loki:overflow', 3, 0)).toBe(3);
    expect(t.add('loki:overflow', 5, 1_000)).toBeUndefined();
    expect(t.add('syslog:overflow', 1, 1_000)).toBe(1);
    expect(t.add('loki:overflow', 2, 59_999)).toBeUndefined();
    expect(t.add('loki:overflow', 1, 60_000)).toBe(8);
    expect(t.add('loki:overflow', 1, 60_001)).toBeUndefined();
  });
});
