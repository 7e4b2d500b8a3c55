// The edge cannot be found: the real cloudflared without --edge looks up the SRV record of a region that does not
// exist (`--region zz`: `_zz-v2-origintunneld._tcp.argotunnel.com` answers NXDOMAIN with or without internet)
// and exits 1. tunnelwatch must name the cause from cloudflared's own lines, not only "crash loop".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { causes, diagnosisOf, get, metric, statusUntil } from '../helpers/run-observe.js';
import { trackedProcesses } from '../helpers/run-process.js';
import { startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();

describe('the real cloudflared when the edge lookup fails', () => {
  let world: RealWorld;
  beforeAll(async () => { world = await startRealWorld({ protocol: 'quic' }); });
  afterAll(async () => { await world.stop(); });

  it('crash-loops, and the diagnosis says the DNS lookup of the edge failed, with the line and the fix', async () => {
    const run = p.run(world.env({ TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: '--region,zz', TUNNELWATCH_SUPERVISOR_CRASH_LOOP_RESTARTS: '2' }), [], world.cloudflared);
    const s = await statusUntil(run, (x) => (x.process.phase === 'breaker_open' && causes(x).includes('edge_dns_failed') ? x : undefined), 'the breaker open with edge_dns_failed', 60_000);
    expect(causes(s)).not.toContain('connector_crashed');
    const d = diagnosisOf(s, 'edge_dns_failed');
    expect(d).toMatchObject({ domain: 'edge_reachability', confidence: 'high' });
    expect(d?.evidence.map((e) => e.text).join('\n')).toMatch(/_zz-v2-origintunneld\._tcp\.argotunnel\.com/);
    expect(d?.remediation).toMatch(/resolver/);
    expect(d?.runbook).toMatch(/\/causes\.md#edge_dns_failed$/);
    expect(metric((await get(run, '/metrics')).body, 'tunnelwatch_diagnosis', { domain: 'edge_reachability', cause: 'edge_dns_failed' })).toBe(1);
    const page = (await get(run, '/')).body;
    expect(page).toContain('<h2>Why</h2>');
    expect(page).toContain('The edge cannot be found: DNS lookup failed');
    run.child.kill('SIGTERM');
    await run.closed;
  });
});
