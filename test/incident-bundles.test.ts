import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSettings, type Settings } from '../src/config/index.js';
import { IncidentBundles, incidentDir } from '../src/sidecar/incident-bundles.js';
import type { HealthSnapshot } from '../src/state/snapshot.js';
import type { Logger } from '../src/telemetry/logs/logger.js';
import { NOW, downSnapshot, healthySnapshot } from './helpers/health-snapshots.js';

const MIN = 60_000;

interface Call { level: string; fields: Record<string, unknown>; msg: string }

/** A Logger that records every call. */
function recordingLogger(): { log: Logger; calls: Call[] } {
  const calls: Call[] = [];
  const method = (level: string) => (a: string | Record<string, unknown>, b?: string) => {
    calls.push(typeof a === 'string' ? { level, fields: {}, msg: a } : { level, fields: a, msg: b ?? '' });
  };
  return { log: { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') }, calls };
}

let spoolDir: string;
beforeEach(async () => {
  spoolDir = await mkdtemp(join(tmpdir(), 'tw-bundles-'));
});
afterEach(async () => {
  await rm(spoolDir, { recursive: true, force: true });
});

function settings(sets: string[] = []): Settings {
  const loaded = loadSettings({ env: { HOME: '/home/sre', TUNNELWATCH_LOGS_SPOOL_DIR: spoolDir }, sets });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.settings;
}

/** IncidentBundles over fake sources, on a clock the test moves. */
function bundles(sets: string[] = []) {
  const clock = { now: NOW };
  const { log, calls } = recordingLogger();
  const s = settings(sets);
  const b = new IncidentBundles({
    settings: s,
    log,
    snapshot: downSnapshot,
    diagnosis: () => [],
    alerts: () => [],
    probes: () => ({ origins: {} }),
    metrics: () => Promise.resolve('tunnelwatch_up 1\n'),
    connectorAddress: () => undefined,
    records: () => ['{"level":30,"msg":"first"}', '{"level":50,"msg":"connection lost"}'],
    redact: <T,>(value: T): T => value,
    now: () => clock.now,
  });
  return { b, calls, clock, settings: s, dir: join(spoolDir, 'incidents') };
}

const withState = (state: HealthSnapshot['state'], base: () => HealthSnapshot = healthySnapshot): HealthSnapshot => ({ ...base(), state });
const healthy = withState('healthy');
const down = downSnapshot();

/** Bundle files in `dir`, by trigger; none when the directory was never made. */
async function files(dir: string, trigger?: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => []);
  return names.filter((n) => trigger === undefined || n.endsWith(`-${trigger}.json`)).sort();
}

/**
 * Waits until every bundle already asked for is written: writes are serialised, so an on-demand write queued after
 * them resolves only when they are done. It writes an on_demand bundle of its own, which the caller allows for.
 */
const settle = (b: IncidentBundles): Promise<unknown> => b.write('on_demand', 'settle');

async function counts(b: IncidentBundles): Promise<string> {
  const registry = new Registry();
  b.metrics(registry);
  return (await registry.metrics()).split('\n').filter((l) => l.startsWith('tunnelwatch_incident_bundles_total{')).join('\n');
}

describe('IncidentBundles.stateChanged', () => {
  it('writes one when a connector that served turns down: the file, the record and `last`', async () => {
    const { b, calls, dir } = bundles();
    expect(b.last).toBeUndefined();
    b.stateChanged(healthy, down);
    await vi.waitFor(() => { expect(b.last).toBeDefined(); }, { timeout: 2000, interval: 10 });

    const last = b.last;
    if (last === undefined) throw new Error('no bundle');
    expect(last).toMatchObject({ at: NOW, trigger: 'down', path: join(dir, 'incident-20261127T120000000Z-down.json') });
    expect(await files(dir)).toEqual(['incident-20261127T120000000Z-down.json']);

    const text = await readFile(last.path, 'utf8');
    expect(last.bytes).toBe(Buffer.byteLength(text));
    const bundle = JSON.parse(text) as { trigger: string; reason: string; snapshot: { state: string }; records: unknown[]; connector: Record<string, { error?: string }>; metrics: string };
    expect(bundle).toMatchObject({ trigger: 'down', reason: 'state healthy -> down: 0 of 4 HA connections registered; Cloudflare API unreachable: fetch failed', snapshot: { state: 'down' }, metrics: 'tunnelwatch_up 1\n' });
    expect(bundle.records).toEqual([{ level: 30, msg: 'first' }, { level: 50, msg: 'connection lost' }]);
    // No metrics address announced: every cloudflared path says so instead of failing the bundle.
    expect(bundle.connector['/ready']?.error).toContain('has not announced');

    const warns = calls.filter((c) => c.level === 'warn');
    expect(warns).toEqual([
      {
        level: 'warn',
        fields: { event: 'incident_bundle', trigger: 'down', path: last.path, bytes: last.bytes },
        msg: `incident bundle written: ${last.path} (${String(last.bytes)} bytes; state healthy -> down: 0 of 4 HA connections registered; Cloudflare API unreachable: fetch failed)`,
      },
    ]);
    expect(await counts(b)).toContain('tunnelwatch_incident_bundles_total{trigger="down"} 1');
  });

  it('writes one when a degraded connector turns down', async () => {
    const { b, dir } = bundles();
    b.stateChanged(withState('degraded'), down);
    await settle(b);
    expect(await files(dir, 'down')).toHaveLength(1);
  });

  it.each([['unknown'], ['inactive'], ['down']] as const)('writes none when a connector that had not served (%s) turns down: start-up is no incident', async (before) => {
    const { b, dir, calls } = bundles();
    b.stateChanged(withState(before, downSnapshot), down);
    await settle(b);
    expect(await files(dir, 'down')).toEqual([]);
    expect(calls.filter((c) => c.fields.trigger === 'down')).toEqual([]);
  });

  it('writes none for a change to anything but down', async () => {
    const { b, dir } = bundles();
    b.stateChanged(healthy, withState('degraded'));
    b.stateChanged(withState('degraded'), withState('unknown'));
    b.stateChanged(healthy, withState('inactive'));
    await settle(b);
    expect(await files(dir, 'down')).toEqual([]);
  });

  it('writes none once tunnelwatch is stopping: the drain of its own stop is no incident', async () => {
    const { b, dir, calls } = bundles();
    b.stopping();
    b.stateChanged(healthy, down);
    await settle(b);
    expect(await files(dir, 'down')).toEqual([]);
    expect(calls.filter((c) => c.fields.trigger === 'down')).toEqual([]);
  });

  it('writes at most one within incidents.minInterval, and the next one once it has passed', async () => {
    const { b, clock, dir } = bundles(['incidents.minInterval=10m']);
    b.stateChanged(healthy, down);
    // A bundle is stamped when its write starts, so let this one finish before the clock moves.
    await settle(b);
    clock.now = NOW + 10 * MIN - 1;
    b.stateChanged(healthy, down);
    await settle(b);
    expect(await files(dir, 'down')).toEqual(['incident-20261127T120000000Z-down.json']);

    clock.now = NOW + 10 * MIN;
    b.stateChanged(healthy, down);
    await settle(b);
    expect(await files(dir, 'down')).toEqual(['incident-20261127T120000000Z-down.json', 'incident-20261127T121000000Z-down.json']);
    expect(await counts(b)).toContain('tunnelwatch_incident_bundles_total{trigger="down"} 2');
  });

  it('writes none with incidents.onDown=false', async () => {
    const { b, dir } = bundles(['incidents.onDown=false']);
    b.stateChanged(healthy, down);
    await settle(b);
    expect(await files(dir, 'down')).toEqual([]);
    expect(b.last?.trigger).toBe('on_demand');
  });
});

describe('IncidentBundles.write', () => {
  it('counts on-demand bundles apart from the automatic ones', async () => {
    const { b, clock } = bundles();
    expect(await counts(b)).toBe(['tunnelwatch_incident_bundles_total{trigger="down"} 0', 'tunnelwatch_incident_bundles_total{trigger="on_demand"} 0'].join('\n'));
    b.stateChanged(healthy, down);
    clock.now += 1000;
    await b.write('on_demand', 'asked for');
    clock.now += 1000;
    const third = await b.write('on_demand', 'asked for');
    expect(await counts(b)).toBe(['tunnelwatch_incident_bundles_total{trigger="down"} 1', 'tunnelwatch_incident_bundles_total{trigger="on_demand"} 2'].join('\n'));
    expect(b.last).toEqual(third);
  });

  it('logs an on-demand bundle as asked for', async () => {
    const { b, calls } = bundles();
    const stored = await b.write('on_demand', 'asked for through POST /incidents');
    expect(calls.filter((c) => c.level === 'warn').map((c) => c.msg)).toEqual([`incident bundle written: ${stored.path} (${String(stored.bytes)} bytes; asked for)`]);
  });

  it('puts bundles in <spoolDir>/incidents unless incidents.dir says otherwise', async () => {
    const plain = bundles();
    expect(incidentDir(plain.settings)).toBe(join(spoolDir, 'incidents'));
    expect((await plain.b.write('on_demand', 'x')).path.startsWith(`${join(spoolDir, 'incidents')}/incident-`)).toBe(true);

    const elsewhere = join(spoolDir, 'elsewhere');
    const custom = bundles([`incidents.dir=${elsewhere}`]);
    expect((await custom.b.write('on_demand', 'x')).path.startsWith(`${elsewhere}/incident-`)).toBe(true);
  });

  it('keeps incidents.keep bundles', async () => {
    const { b, clock, dir } = bundles(['incidents.keep=2']);
    const written = [];
    for (let k = 0; k < 4; k++) {
      clock.now = NOW + k * 1000;
      written.push(await b.write('on_demand', 'x'));
    }
    expect(await files(dir)).toEqual(written.slice(2).map((w) => w.path.slice(dir.length + 1)));
  });

  it('rejects and logs an error naming incidents.dir when the bundle cannot be stored; the next one still works', async () => {
    const blocker = join(spoolDir, 'a-file');
    await writeFile(blocker, 'not a directory');
    const { b, calls } = bundles([`incidents.dir=${join(blocker, 'incidents')}`]);
    await expect(b.write('on_demand', 'x')).rejects.toThrow();
    expect(calls.filter((c) => c.level === 'error').map((c) => c.msg)).toEqual([expect.stringMatching(/^could not write an incident bundle to .*a-file\/incidents: .*; check incidents\.dir$/) as unknown]);
    expect(b.last).toBeUndefined();
    expect(await counts(b)).toContain('tunnelwatch_incident_bundles_total{trigger="on_demand"} 0');
    // A failed write does not jam the queue.
    await expect(b.write('on_demand', 'y')).rejects.toThrow();
    expect(calls.filter((c) => c.level === 'error')).toHaveLength(2);
  });
});
