// Tunnel status as the SDK reads it, driven by emulated connectors through /__edge, with the clock moved by
// hand for the pending-reconnect linger.
import type { APIError, Cloudflare } from 'cloudflare';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EDGE_REGISTER_PATH } from '../src/emulator/edge-protocol.js';
import { startApiEmulator, type ApiEmulator } from '../src/emulator/api/main.js';
import { ACCOUNT, CONNECTOR_A, CONNECTOR_B, SECRET, TUNNEL, client, connector, manualClock, post, seed } from './emulator-api-helpers.js';

const LINGER = 180_000;
let emulator: ApiEmulator;
let cf: Cloudflare;
let clock: ReturnType<typeof manualClock>;

beforeEach(async () => {
  clock = manualClock();
  emulator = await startApiEmulator({ seed: seed({ pendingReconnectLingerMs: LINGER }), now: clock.now });
  cf = client(emulator.url);
});

afterEach(async () => {
  await emulator.close();
});

const tunnel = () => cf.zeroTrust.tunnels.cloudflared.get(TUNNEL, { account_id: ACCOUNT });
const conns = async () =>
  (await cf.zeroTrust.tunnels.cloudflared.connections.get(TUNNEL, { account_id: ACCOUNT })).result.flatMap((c) =>
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- SDK 7.3 deprecates it; the emulator's linger mode still sends it
    (c.conns ?? []).map((conn) => ({ client: c.id, id: conn.id, pending: conn.is_pending_reconnect })),
  );
const iso = (ms: number) => new Date(ms).toISOString();

describe('status transitions', () => {
  it('goes inactive -> healthy -> degraded -> healthy -> down, keeping conns_active_at / conns_inactive_at', async () => {
    const replica = connector(emulator.origin, CONNECTOR_A);
    expect(await tunnel()).toMatchObject({ status: 'inactive', conns_active_at: null, conns_inactive_at: null });

    const activeAt = clock.now();
    const locations: string[] = [];
    for (const i of [0, 1, 2, 3]) {
      const answer = await replica.register(i);
      if (answer.ok) locations.push(answer.location);
      clock.advance(1000);
    }
    expect(locations).toEqual(['lax01', 'lax08', 'sjc05', 'sjc01']);
    expect(await tunnel()).toMatchObject({ status: 'healthy', conns_active_at: iso(activeAt), conns_inactive_at: null });

    // Slot 2 loses its connection: the edge keeps it as pending reconnect, and the tunnel is degraded.
    await replica.unregister(2, true);
    expect(await tunnel()).toMatchObject({ status: 'degraded' });
    expect((await conns()).filter((c) => c.pending)).toEqual([{ client: CONNECTOR_A, id: replica.connection(2), pending: true }]);

    // The slot comes back on a new connection; the old one still lingers until the linger is over.
    await replica.register(2, 1);
    expect((await tunnel()).status).toBe('degraded');
    clock.advance(LINGER);
    expect((await tunnel()).status).toBe('healthy');
    expect(await conns()).toHaveLength(4);

    // Graceful shutdown: each connection is unregistered cleanly and disappears at once.
    const downAt = clock.now();
    for (const [i, generation] of [[0, 0], [1, 0], [2, 1], [3, 0]] as const) await replica.unregister(i, false, generation);
    expect(await tunnel()).toMatchObject({ status: 'down', conns_active_at: iso(activeAt), conns_inactive_at: iso(downAt) });
    expect(await conns()).toEqual([]);
  });

  it('is down, not degraded, when the only connections left are pending reconnect, until they linger out', async () => {
    const replica = connector(emulator.origin, CONNECTOR_A);
    await replica.register(0);
    await replica.register(1);
    const lostAt = clock.now();
    await replica.unregister(0, true);
    await replica.unregister(1, true);
    expect(await tunnel()).toMatchObject({ status: 'down', conns_inactive_at: iso(lostAt) });
    expect(await conns()).toHaveLength(2);

    clock.advance(LINGER - 1);
    expect(await conns()).toHaveLength(2);
    clock.advance(1);
    expect(await conns()).toEqual([]);
    expect((await tunnel()).status).toBe('down');
  });

  it('aggregates two replicas of one tunnel', async () => {
    const a = connector(emulator.origin, CONNECTOR_A);
    const b = connector(emulator.origin, CONNECTOR_B);
    for (const i of [0, 1]) {
      await a.register(i);
      await b.register(i);
    }
    const clients = (await cf.zeroTrust.tunnels.cloudflared.connections.get(TUNNEL, { account_id: ACCOUNT })).result;
    expect(clients.map((c) => [c.id, c.conns?.length])).toEqual([
      [CONNECTOR_A, 2],
      [CONNECTOR_B, 2],
    ]);
    expect((await tunnel()).status).toBe('healthy');

    // Replica A stops for good; B alone keeps the tunnel healthy.
    await a.unregister(0, false);
    await a.unregister(1, false);
    expect((await tunnel()).status).toBe('healthy');
    const ids = (await cf.zeroTrust.tunnels.cloudflared.connections.get(TUNNEL, { account_id: ACCOUNT })).result.map((c) => c.id);
    expect(ids).toEqual([CONNECTOR_B]);
    const gone = await cf.zeroTrust.tunnels.cloudflared.connectors.get(CONNECTOR_A, { account_id: ACCOUNT, tunnel_id: TUNNEL }).catch((e: unknown) => e);
    expect((gone as APIError).status).toBe(404);

    // B's connection 1 drops: one replica's failure degrades the whole tunnel.
    await b.unregister(1, true);
    expect((await tunnel()).status).toBe('degraded');
  });
});

describe('edge registration', () => {
  it('refuses a wrong secret and an unknown tunnel the way the edge does', async () => {
    const wrongSecret = connector(emulator.origin, CONNECTOR_A, TUNNEL, Buffer.alloc(32, 9).toString('base64'));
    expect(await wrongSecret.register(0)).toEqual({ ok: false, error: 'Unauthorized: Invalid tunnel secret', retryable: false });
    const unknown = connector(emulator.origin, CONNECTOR_A, '99999999-9999-4999-8999-999999999999', SECRET);
    expect(await unknown.register(0)).toEqual({ ok: false, error: 'Unauthorized: Failed to get tunnel', retryable: false });
    expect((await tunnel()).status).toBe('inactive');
  });

  it('answers 400 naming the field for a body that does not follow the protocol', async () => {
    const res = await post(emulator.origin, EDGE_REGISTER_PATH, { tunnelId: TUNNEL, connIndex: 'zero' });
    expect(res.status).toBe(400);
    expect((res.body as { error: string }).error).toMatch(/connIndex/);
  });

  it('says when an unregistered connection was not known', async () => {
    expect(await connector(emulator.origin, CONNECTOR_A).unregister(0, false)).toEqual({ ok: false, error: 'Unknown connection' });
  });
});
