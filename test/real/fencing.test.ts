// Self-fencing with two replicas of the real cloudflared on one tunnel through the loopback edge. Replica A's
// ingress points its hostname at an origin that is down from A, while replica B reaches it: A fences itself
// (drains its connector, holds it down, readiness 503), visitors keep getting B's answers, and A comes back once
// its origin answers again. B, whose origins answer, never fences; and with B gone, A does not fence although its
// origins are down again: the last replica serving never steps aside.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserveDeadPort, startHttpOrigin, type RunningOrigin } from '../../src/emulator/origins.js';
import { get, metric, ownRecord, statusUntil } from '../helpers/run-observe.js';
import { trackedProcesses } from '../helpers/run-process.js';
import { HOSTS, startRealWorld, type RealWorld } from './helpers/world.js';

const p = trackedProcesses();
const FENCING = { TUNNELWATCH_FENCING_ENABLED: 'true', TUNNELWATCH_FENCING_INTERVAL: '1s', TUNNELWATCH_FENCING_AFTER: '3s', TUNNELWATCH_FENCING_UNFENCE_AFTER: '2s' };

type Fenced = { fence?: { fenced: boolean; why?: string } };

describe('self-fencing of a replica whose origins are down while its sibling serves', () => {
  let world: RealWorld;
  let revived: RunningOrigin | undefined;
  beforeAll(async () => { world = await startRealWorld({ protocol: 'quic' }); });
  afterAll(async () => {
    await revived?.close();
    await world.stop();
  });

  it('fences A, keeps B serving, unfences A when its origin answers, and never fences the last replica serving', async () => {
    const [aPort, bPort, aOrigin] = [await reserveDeadPort(), await reserveDeadPort(), await reserveDeadPort()];
    const b = p.run(world.env({ ...FENCING, TUNNELWATCH_IDENTITY_REPLICA: 'replica-b', TUNNELWATCH_SERVER_LISTEN: `127.0.0.1:${String(bPort)}`, TUNNELWATCH_FENCING_PEERS: `http://127.0.0.1:${String(aPort)}` }), [], world.cloudflared);
    await statusUntil(b, (s) => (s.state === 'healthy' && s.registeredConnections === 4 ? s : undefined), 'B healthy 4 of 4', 60_000);

    // A's ingress: the app hostname at an address nothing listens on (yet).
    const config = join(world.dir, 'replica-a.yml');
    writeFileSync(config, `ingress:\n  - hostname: ${HOSTS.app}\n    service: http://127.0.0.1:${String(aOrigin)}\n  - hostname: ${HOSTS.dead}\n    service: http://${world.deadAddress}\n  - service: http_status:404\n`);
    const a = p.run(world.env({ ...FENCING, TUNNELWATCH_CLOUDFLARED_CONFIG: config, TUNNELWATCH_LOGS_SPOOL_DIR: join(world.dir, 'spool-a'), TUNNELWATCH_IDENTITY_REPLICA: 'replica-a', TUNNELWATCH_SERVER_LISTEN: `127.0.0.1:${String(aPort)}`, TUNNELWATCH_FENCING_PEERS: `http://127.0.0.1:${String(bPort)}` }), [], world.cloudflared);
    await statusUntil(a, (s) => (s.registeredConnections === 4 ? s : undefined), 'A registered 4 of 4', 60_000);

    const fenced = await a.until(() => ownRecord(a, 'fencing this replica: '), 'A fences itself', 30_000);
    expect(fenced).toMatchObject({ event: 'fence' });
    expect(String(fenced.why)).toBe(`every origin is down here (${HOSTS.app}, ${HOSTS.dead}) while http://127.0.0.1:${String(bPort)} serves them`);
    const held = await statusUntil(a, (s) => (s.state === 'inactive' && (s as unknown as Fenced).fence?.fenced === true ? s : undefined), 'A inactive and fenced', 30_000);
    expect(held.reasons.find((r) => r.code === 'process_not_running')?.message).toMatch(/last exit: fenced: every origin is down here/);
    expect((await get(a, '/readyz')).status).toBe(503);
    expect(metric((await get(a, '/metrics')).body, 'tunnelwatch_fenced')).toBe(1);
    // Only B's connector is left at the edge, and visitors get B's answers.
    await statusUntil(b, (s) => (s.edge.connectors.length === 1 ? s : undefined), 'the edge listing B alone', 30_000);
    for (let i = 0; i < 5; i++) expect((await world.edge.visit(HOSTS.app, '/hello')).status).toBe(200);
    expect(((await get(b, '/status')).body.includes('"fenced":true'))).toBe(false);

    // A's origin answers again: after fencing.unfenceAfter A starts its connector and serves.
    revived = await startHttpOrigin({ listen: `127.0.0.1:${String(aOrigin)}`, name: 'app-for-a' });
    const unfenced = await a.until(() => ownRecord(a, 'unfencing this replica: '), 'A unfences', 30_000);
    expect(unfenced).toMatchObject({ event: 'unfence', why: 'some origin answers again' });
    await statusUntil(a, (s) => (s.registeredConnections === 4 && (s as unknown as Fenced).fence?.fenced === false ? s : undefined), 'A serving again', 60_000);
    expect(a.connectorPids()).toHaveLength(2);
    expect(metric((await get(a, '/metrics')).body, 'tunnelwatch_fence_changes_total', { action: 'unfence' })).toBe(1);

    // B goes away; A's origin goes down again: A is the last replica serving and does not fence.
    b.child.kill('SIGTERM');
    await b.closed;
    await revived.close();
    revived = undefined;
    await statusUntil(a, (s) => (s.origins.every((o) => o.state === 'down') ? s : undefined), 'every origin of A down', 30_000);
    // Absence takes its time: longer than fencing.after plus two checks.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(a.records.filter((r) => typeof r.msg === 'string' && r.msg.startsWith('fencing this replica: '))).toHaveLength(1);
    expect(metric((await get(a, '/metrics')).body, 'tunnelwatch_fenced')).toBe(0);
    expect((await statusUntil(a, (s) => s, 'the status of A')).registeredConnections).toBe(4);
  });
});
