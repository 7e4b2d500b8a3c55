// End to end: cloudflared's `--output json` writer tears lines when goroutines log at once (one write per key-value
// pair; see src/cloudflared/log/mend.ts). A stand-in connector writes exactly such pieces, as seen from the real
// binary in CI; tunnelwatch must see all four registrations (the health model counts them), ship each as one
// record, count the mended events, and keep the three torn "Connection terminated" events of the shutdown.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeTunnelToken } from '../src/cloudflared/token.js';
import { get, metric, statusUntil } from './helpers/run-observe.js';
import { baseEnv, trackedProcesses } from './helpers/run-process.js';

const p = trackedProcesses();
const CONNECTOR = fileURLToPath(new URL('./fixtures/connectors/torn-json.mjs', import.meta.url));

describe('tunnelwatch run: torn JSON lines from cloudflared', () => {
  it('puts the pieces back together: four registrations counted, each one record, the shutdown events kept', { timeout: 30_000 }, async () => {
    // The stand-in ignores the token, but run's checks before the first start want a well-formed one.
    const token = encodeTunnelToken({ accountTag: 'd3b07384d113edec49eaa6238ad5ff00', tunnelId: '0b63bd7c-5add-40af-a75a-4dfeea1316a0', secret: Buffer.from('torn') });
    const env = baseEnv(mkdtempSync(join(tmpdir(), 'tw-torn-')), { TUNNELWATCH_LOGS_REPEATS_WINDOW: '0s', TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s', TUNNELWATCH_CLOUDFLARED_TOKEN: token });
    const run = p.run(env, [], CONNECTOR);
    const events = await statusUntil(run, (s) => (s.views.events === 4 ? s.views.events : undefined), 'four registrations from the events', 20_000);
    expect(events).toBe(4);
    const registeredRecords = () => run.records.filter((r) => r.source === 'cloudflared' && r.event === 'registered');
    const registered = await run.until(() => (registeredRecords().length >= 4 ? registeredRecords() : undefined), 'four registered records');
    expect(registered.map((r) => r.conn_index).sort()).toEqual([0, 1, 2, 3]);
    for (const r of registered) expect(JSON.parse(String(r.raw))).toMatchObject({ message: 'Registered tunnel connection', protocol: 'quic' });
    for (const r of run.records.filter((x) => x.source === 'cloudflared')) expect(() => { JSON.parse(String(r.raw)); }).not.toThrow();
    expect(metric((await get(run, '/metrics')).body, 'tunnelwatch_log_lines_mended_total')).toBe(4);

    run.child.kill('SIGTERM');
    await run.closed;
    const terminated = run.records.filter((r) => r.source === 'cloudflared' && r.msg === 'Connection terminated');
    expect(terminated.map((r) => r.conn_index).sort()).toEqual([0, 2, 3]);
    for (const r of terminated) expect(r).toMatchObject({ error: 'context canceled', level: 50 });
  });
});
