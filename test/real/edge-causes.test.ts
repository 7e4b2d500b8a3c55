// Why the real cloudflared cannot reach the edge, named from its own lines, not only "down" or "crash loop":
// - the edge cannot be found: without --edge it looks up the SRV record of a region that does not exist
//   (`--region zz`: `_zz-v2-origintunneld._tcp.argotunnel.com` answers NXDOMAIN with or without internet) and exits 1;
// - TLS to the edge fails verification, as behind an intercepting proxy: the edge's certificate is not signed by
//   the CA cloudflared trusts (--cacert of another CA), over HTTP/2 and over QUIC.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSigned } from '../../src/emulator/self-signed-cert.js';
import type { FiringAlert } from '../../src/alerts/index.js';
import { causes, diagnosisOf, get, metric, statusUntil, type StatusBody } from '../helpers/run-observe.js';
import { trackedProcesses } from '../helpers/run-process.js';
import { startRealWorld, TUNNEL, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();

type StatusWithAlerts = StatusBody & { readonly alerts?: readonly FiringAlert[] };

describe('the real cloudflared when the edge lookup fails', () => {
  let world: RealWorld;
  beforeAll(async () => { world = await startRealWorld({ protocol: 'quic' }); });
  afterAll(async () => { await world.stop(); });

  it('crash-loops, and the diagnosis says the DNS lookup of the edge failed, with the line and the fix', async () => {
    const run = p.run(world.env({ TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: '--region,zz', TUNNELWATCH_SUPERVISOR_CRASH_LOOP_RESTARTS: '2', TUNNELWATCH_ALERTS_EVALUATION_INTERVAL: '500ms' }), [], world.cloudflared);
    const s = await statusUntil(run, (x) => (x.process.phase === 'breaker_open' && causes(x).includes('edge_dns_failed') ? x : undefined), 'the breaker open with edge_dns_failed', 60_000);
    expect(causes(s)).not.toContain('connector_crashed');
    const d = diagnosisOf(s, 'edge_dns_failed');
    expect(d).toMatchObject({ domain: 'edge_reachability', confidence: 'high' });
    expect(d?.evidence.map((e) => e.text).join('\n')).toMatch(/_zz-v2-origintunneld\._tcp\.argotunnel\.com/);
    expect(d?.remediation).toMatch(/resolver/);
    expect(d?.runbook).toMatch(/\/causes\.md#edge_dns_failed$/);
    expect(metric((await get(run, '/metrics')).body, 'tunnelwatch_diagnosis', { domain: 'edge_reachability', cause: 'edge_dns_failed' })).toBe(1);
    // The crash-loop alert (for: 0) carries the cause and the fix, on /status as in its Alertmanager annotations.
    const alert = await statusUntil(run, (x) => (x as StatusWithAlerts).alerts?.find((a) => a.alertname === 'TunnelConnectorCrashLooping'), 'the crash-loop alert firing', 30_000);
    expect(alert.cause).toMatch(/^The edge cannot be found: DNS lookup failed \(/);
    expect(alert.remediation).toMatch(/resolver.*causes\.md#edge_dns_failed$/);
    const page = (await get(run, '/')).body;
    expect(page).toContain('<h2>Why</h2>');
    expect(page).toContain('The edge cannot be found: DNS lookup failed');
    run.child.kill('SIGTERM');
    await run.closed;
  });

  it('a token of another tunnel than edge.tunnelId: other_tunnel, from the tunnel id cloudflared announces', async () => {
    const run = p.run(world.env({ TUNNELWATCH_EDGE_TUNNEL_ID: '00000000-1111-4222-8333-444444444444' }), [], world.cloudflared);
    const s = await statusUntil(run, (x) => (causes(x).includes('other_tunnel') ? x : undefined), 'the other_tunnel diagnosis', 60_000);
    expect(diagnosisOf(s, 'other_tunnel')?.evidence[0]?.text).toBe(`cloudflared runs tunnel ${TUNNEL}; edge.tunnelId is 00000000-1111-4222-8333-444444444444`);
  });

  it.each(['http2', 'quic'] as const)('an edge certificate from another CA over %s: edge_tls_failed, with the line', async (protocol) => {
    const otherCa = join(world.dir, 'other-ca.pem');
    writeFileSync(otherCa, createSelfSigned({ commonName: 'intercepting-proxy.example', altNames: ['127.0.0.1'] }).cert);
    const args = [...world.edge.cloudflaredArgs().slice(0, -1), otherCa];
    const run = p.run(world.env({ TUNNELWATCH_CLOUDFLARED_PROTOCOL: protocol, TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: args.join(',') }), [], world.cloudflared);
    const s = await statusUntil(run, (x) => (causes(x).includes('edge_tls_failed') ? x : undefined), 'the edge_tls_failed diagnosis', 60_000);
    const d = diagnosisOf(s, 'edge_tls_failed');
    expect(d).toMatchObject({ domain: 'certificates', confidence: 'high' });
    expect(d?.evidence.map((e) => e.text).join('\n')).toMatch(protocol === 'http2' ? /TLS handshake with edge error: .*certificate/ : /failed to dial to edge with quic: .*(x509|tls: failed to verify)/);
    expect(s.state).toBe('down');
  });
});
