// Repeat settings per output: stdout follows logs.repeats; Loki and syslog may set their own, field by field.
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../src/config/index.js';
import { outputsOf } from '../src/sidecar/collapsing-writer.js';

const load = (env: Record<string, string>, sets: string[] = []) => {
  const loaded = loadSettings({ env: { TUNNELWATCH_LOGS_SPOOL_DIR: '/tmp/unused', TUNNELWATCH_LOGS_LOKI_URL: 'http://127.0.0.1:3100', TUNNELWATCH_LOGS_SYSLOG_HOST: '127.0.0.1', ...env }, sets });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.settings;
};

describe('repeat settings per sink', () => {
  it('every output follows logs.repeats by default', () => {
    expect(outputsOf(load({}).logs, ['loki', 'syslog'])).toEqual([
      { name: 'stdout', windowMs: 10_000, burst: 5 },
      { name: 'loki', windowMs: 10_000, burst: 5 },
      { name: 'syslog', windowMs: 10_000, burst: 5 },
    ]);
  });

  it('a sink sets its own window or burst, from the environment or --set; what it leaves out is logs.repeats\'', () => {
    const settings = load({ TUNNELWATCH_LOGS_REPEATS_WINDOW: '30s', TUNNELWATCH_LOGS_SYSLOG_REPEATS_BURST: '1' }, ['logs.loki.repeats.window=0s']);
    expect(outputsOf(settings.logs, ['loki', 'syslog'])).toEqual([
      { name: 'stdout', windowMs: 30_000, burst: 5 },
      { name: 'loki', windowMs: 0, burst: 5 },
      { name: 'syslog', windowMs: 30_000, burst: 1 },
    ]);
  });

  it('a wrong value names the sink\'s setting', () => {
    const loaded = loadSettings({ env: { TUNNELWATCH_LOGS_SPOOL_DIR: '/tmp/unused', TUNNELWATCH_LOGS_LOKI_URL: 'http://127.0.0.1:3100', TUNNELWATCH_LOGS_LOKI_REPEATS_BURST: '0' } });
    expect(loaded.ok).toBe(false);
    expect(JSON.stringify(loaded.diagnostics)).toContain('logs.loki.repeats.burst');
  });
});
