import { describe, expect, it } from 'vitest';
import { displaySettings, durationText } from '../src/config/index.js';
import { loadSettings } from '../src/config/load.js';
import { runCli } from './helpers/cli.js';

describe('durationText', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [1500, '1.5s'],
    [30_000, '30s'],
    [600_000, '10m'],
    [64_000, '1m4s'],
    [5_400_000, '1h30m'],
    [7_200_000, '2h'],
  ])('%i ms reads %s', (ms, text) => {
    expect(durationText(ms)).toBe(text);
  });
});

describe('displaySettings', () => {
  it('writes durations as settings are written, keeps the rest, and never reveals a secret', () => {
    const loaded = loadSettings({
      env: { TUNNELWATCH_LOGS_SPOOL_DIR: '/tmp/unused', TUNNELWATCH_CLOUDFLARED_TOKEN: 'eyJhIjoiMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWYifQ' },
      sets: ['alerts.rules=[{"alert":"TunnelConnectorUnhealthy","for":"10m","keepFiringFor":"90s"}]'],
    });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    const shown = displaySettings(loaded.settings);
    expect(shown).toMatchObject({
      cloudflared: { gracePeriod: '30s', haConnections: 4 },
      supervisor: { crashLoopWindow: '10m', restartBackoffInitial: '1s' },
      alerts: { rules: [{ alert: 'TunnelConnectorUnhealthy', for: '10m', keepFiringFor: '1m30s' }] },
    });
    expect(JSON.stringify(shown)).not.toContain('eyJhIjoi');
    // The settings themselves are untouched.
    expect(loaded.settings.cloudflared.gracePeriod).toBe(30_000);
  });
});

describe('tunnelwatch settings', () => {
  it('prints durations as they were written', async () => {
    const run = await runCli(['settings', '--set', 'cloudflared.gracePeriod=45s', '--set', 'supervisor.crashLoopWindow=10m'], { env: { TUNNELWATCH_LOGS_SPOOL_DIR: '/tmp/unused' } });
    expect(run.code).toBe(0);
    const shown = JSON.parse(run.stdout.slice(0, run.stdout.indexOf('\n}\n') + 2)) as { cloudflared: { gracePeriod: string }; supervisor: { crashLoopWindow: string; hangTimeout: string } };
    expect(shown.cloudflared.gracePeriod).toBe('45s');
    expect(shown.supervisor).toMatchObject({ crashLoopWindow: '10m', hangTimeout: '2m' });
  });
});
