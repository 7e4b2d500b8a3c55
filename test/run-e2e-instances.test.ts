// Two tunnelwatch processes given one spool directory: the second must refuse to start, naming the first, and
// leave the first's cloudflared alone (it used to stop it as "left by a previous tunnelwatch" and then ship the
// same spool a second time).
import { describe, expect, it } from 'vitest';
import { baseEnv, isGone, trackedProcesses } from './helpers/run-process.js';

const p = trackedProcesses();

describe('tunnelwatch run: one instance per spool directory', () => {
  it('refuses a second instance on the same spool directory, naming the holder; the first runs on', { timeout: 30_000 }, async () => {
    const dir = p.tempDir('tw-e2e-instances-');
    const first = p.run(baseEnv(dir));
    const connector = await first.connectorPid();
    const second = p.run(baseEnv(dir));
    const { code } = await second.closed;
    expect(code).toBe(1);
    expect(second.stderr).toContain(`is in use by another tunnelwatch (pid ${String(first.pid)}, running since `);
    expect(second.stderr).toContain('give each tunnelwatch its own logs.spoolDir');
    expect(second.connectorPids()).toEqual([]);
    expect(isGone(connector)).toBe(false);
    expect(first.running).toBe(true);
  });
});
