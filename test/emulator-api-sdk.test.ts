// The `cloudflare` SDK 7.3 against the API emulator over loopback: every tunnel call tunnelwatch's edge view
// makes, the pagination stop rule, and Cloudflare-style errors surfacing as the SDK's error classes.
import Cloudflare, { type APIError } from 'cloudflare';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTunnelToken } from '../src/cloudflared/token.js';
import { startApiEmulator, type ApiEmulator } from '../src/emulator/api/main.js';
import type { RequestRecord } from '../src/emulator/api/server.js';
import { ACCOUNT, CONNECTOR_A, OTHER_ACCOUNT, REMOTE_TUNNEL, SECRET, TUNNEL, client, connector, manualClock, seed } from './emulator-api-helpers.js';

let emulator: ApiEmulator;
let requests: RequestRecord[];
let cf: Cloudflare;
const clock = manualClock();

beforeEach(async () => {
  requests = [];
  const manyTunnels = Array.from({ length: 7 }, (_, i) => ({ id: `00000000-0000-4000-8000-00000000000${String(i)}`, name: `batch-${String(i)}` }));
  const base = seed();
  const accounts = [{ id: ACCOUNT, tunnels: [...(base.accounts?.[0]?.tunnels ?? []), ...manyTunnels] }, { id: OTHER_ACCOUNT }];
  emulator = await startApiEmulator({ seed: { ...base, accounts }, now: clock.now, onRequest: (r) => requests.push(r) });
  cf = client(emulator.url);
});

afterEach(async () => {
  await emulator.close();
});

describe('tunnels', () => {
  it('gets a tunnel as Shared.CloudflareTunnel', async () => {
    const tunnel = await cf.zeroTrust.tunnels.cloudflared.get(TUNNEL, { account_id: ACCOUNT });
    expect(tunnel).toMatchObject({
      id: TUNNEL,
      account_tag: ACCOUNT,
      name: 'prod-web',
      status: 'inactive',
      config_src: 'local',
      tun_type: 'cfd_tunnel',
      created_at: '2026-08-01T00:00:00.000Z',
      deleted_at: null,
      conns_active_at: null,
      conns_inactive_at: null,
      connections: [],
    });
  });

  it('auto-paginates over several pages and stops at the first empty page', async () => {
    const names: string[] = [];
    for await (const tunnel of cf.zeroTrust.tunnels.cloudflared.list({ account_id: ACCOUNT, per_page: 4 })) names.push(tunnel.name ?? '');
    expect(names).toEqual(['prod-web', 'prod-api', ...Array.from({ length: 7 }, (_, i) => `batch-${String(i)}`)]);
    // 9 tunnels at 4 a page: pages 1-3 hold them, page 4 is the empty one that ends the loop.
    expect(requests.map((r) => r.path)).toEqual(Array(4).fill(`/client/v4/accounts/${ACCOUNT}/cfd_tunnel`));
  });

  it('reports page, per_page, count and total_count, and an empty result past the end', async () => {
    const page = await cf.zeroTrust.tunnels.cloudflared.list({ account_id: ACCOUNT, per_page: 4, page: 3 });
    expect(page.result_info).toEqual({ page: 3, per_page: 4, count: 1, total_count: 9 });
    const past = await cf.zeroTrust.tunnels.cloudflared.list({ account_id: ACCOUNT, per_page: 4, page: 9 });
    expect(past.result).toEqual([]);
  });

  it('filters by name, uuid, status and is_deleted', async () => {
    const names = async (query: Omit<Cloudflare.ZeroTrust.Tunnels.CloudflaredListParams, 'account_id'>) =>
      (await cf.zeroTrust.tunnels.cloudflared.list({ account_id: ACCOUNT, ...query })).result.map((t) => t.name);
    expect(await names({ name: 'prod-api' })).toEqual(['prod-api']);
    expect(await names({ uuid: TUNNEL })).toEqual(['prod-web']);
    expect(await names({ status: 'healthy' })).toEqual([]);
    expect(await names({ is_deleted: true })).toEqual([]);
    expect(await names({ include_prefix: 'prod-', per_page: 50 })).toEqual(['prod-web', 'prod-api']);
  });

  it('answers 400 for a bad list parameter', async () => {
    const error = await cf.zeroTrust.tunnels.cloudflared.list({ account_id: ACCOUNT, per_page: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Cloudflare.BadRequestError);
    expect((error as APIError).errors[0]?.message).toMatch(/per_page must be a whole number/);
  });

  it('answers 404 for an unknown tunnel and 400 (7003) for a malformed id', async () => {
    const missing = await cf.zeroTrust.tunnels.cloudflared.get('99999999-9999-4999-8999-999999999999', { account_id: ACCOUNT }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Cloudflare.NotFoundError);
    expect((missing as APIError).errors).toEqual([{ code: 1002, message: 'Tunnel not found' }]);
    const malformed = await cf.zeroTrust.tunnels.cloudflared.get('not-a-uuid', { account_id: ACCOUNT }).catch((e: unknown) => e);
    expect(malformed).toBeInstanceOf(Cloudflare.BadRequestError);
    expect((malformed as APIError).errors[0]?.code).toBe(7003);
  });

  it('hides a tunnel from another account behind the same 404', async () => {
    const error = await cf.zeroTrust.tunnels.cloudflared.get(TUNNEL, { account_id: OTHER_ACCOUNT }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Cloudflare.NotFoundError);
  });
});

describe('authentication', () => {
  it('refuses a wrong token with 403 and code 10000, as PermissionDeniedError', async () => {
    const error = await client(emulator.url, { token: 'wrong' }).zeroTrust.tunnels.cloudflared.get(TUNNEL, { account_id: ACCOUNT }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Cloudflare.PermissionDeniedError);
    expect((error as APIError).status).toBe(403);
    expect((error as APIError).errors[0]?.code).toBe(10000);
    expect(String(error)).not.toContain('wrong');
  });

  it('refuses an account the emulator does not hold like a bad token', async () => {
    const error = await cf.zeroTrust.tunnels.cloudflared.get(TUNNEL, { account_id: 'abababababababababababababababab' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Cloudflare.PermissionDeniedError);
  });
});

describe('connectors, token and configuration', () => {
  it('lists connectors with their conns (SinglePage) and gets one with the v7 signature', async () => {
    const replica = connector(emulator.origin, CONNECTOR_A);
    for (const i of [0, 1]) await replica.register(i);
    const page = await cf.zeroTrust.tunnels.cloudflared.connections.get(TUNNEL, { account_id: ACCOUNT });
    expect(page.result).toHaveLength(1);
    const [client0] = page.result;
    expect(client0).toMatchObject({ id: CONNECTOR_A, arch: 'linux_amd64', version: '2026.8.2', config_version: -1, run_at: '2026-09-01T11:59:58Z' });
    expect(client0?.conns?.[1]).toEqual({
      id: replica.connection(1),
      uuid: replica.connection(1),
      client_id: CONNECTOR_A,
      client_version: '2026.8.2',
      colo_name: 'lax08',
      opened_at: new Date(clock.now()).toISOString(),
      origin_ip: '203.0.113.10',
      is_pending_reconnect: false,
    });
    const one = await cf.zeroTrust.tunnels.cloudflared.connectors.get(CONNECTOR_A, { account_id: ACCOUNT, tunnel_id: TUNNEL });
    expect(one.conns?.map((c) => c.colo_name)).toEqual(['lax01', 'lax08']);
    const missing = await cf.zeroTrust.tunnels.cloudflared.connectors
      .get('99999999-9999-4999-8999-999999999999', { account_id: ACCOUNT, tunnel_id: TUNNEL })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Cloudflare.NotFoundError);
  });

  it('cleans up a connector with connections.delete and the tunnel goes down', async () => {
    await connector(emulator.origin, CONNECTOR_A).register(0);
    await cf.zeroTrust.tunnels.cloudflared.connections.delete(TUNNEL, { account_id: ACCOUNT, client_id: CONNECTOR_A });
    const page = await cf.zeroTrust.tunnels.cloudflared.connections.get(TUNNEL, { account_id: ACCOUNT });
    expect(page.result).toEqual([]);
    expect((await cf.zeroTrust.tunnels.cloudflared.get(TUNNEL, { account_id: ACCOUNT })).status).toBe('down');
  });

  it('returns the tunnel token that the edge accepts', async () => {
    const token = await cf.zeroTrust.tunnels.cloudflared.token.get(TUNNEL, { account_id: ACCOUNT });
    const parsed = parseTunnelToken(token);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.token).toMatchObject({ accountTag: ACCOUNT, tunnelId: TUNNEL });
    expect(parsed.token.secret.reveal()).toBe(SECRET);
    expect(emulator.tunnelToken(ACCOUNT, TUNNEL)).toBe(token);
  });

  it('reads and replaces the remote configuration; PUT bumps the version the edge hands out', async () => {
    const before = await cf.zeroTrust.tunnels.cloudflared.configurations.get(REMOTE_TUNNEL, { account_id: ACCOUNT });
    expect(before).toMatchObject({ tunnel_id: REMOTE_TUNNEL, account_id: ACCOUNT, version: 3, source: 'cloudflare' });
    const ingress = [{ hostname: 'app.example.com', service: 'http://127.0.0.1:8080' }, { hostname: '', service: 'http_status:404' }];
    clock.advance(1000);
    const after = await cf.zeroTrust.tunnels.cloudflared.configurations.update(REMOTE_TUNNEL, { account_id: ACCOUNT, config: { ingress } });
    expect(after).toMatchObject({ version: 4, config: { ingress }, created_at: new Date(clock.now()).toISOString() });
    const pushed = await fetch(`${emulator.origin}/__edge/config?tunnelId=${REMOTE_TUNNEL}`);
    expect(await pushed.json()).toEqual({ version: 4, config: { ingress } });
  });

  it('has no remote configuration to push for a locally managed tunnel', async () => {
    const local = await cf.zeroTrust.tunnels.cloudflared.configurations.get(TUNNEL, { account_id: ACCOUNT });
    expect(local).toMatchObject({ version: 0, config: null, source: 'local' });
    expect((await fetch(`${emulator.origin}/__edge/config?tunnelId=${TUNNEL}`)).status).toBe(404);
  });

  it('answers 405 for a method the route does not take and 404 (7000) for an unknown route', async () => {
    const post = await cf.post(`/accounts/${ACCOUNT}/cfd_tunnel/${TUNNEL}/token`).catch((e: unknown) => e);
    expect((post as APIError).status).toBe(405);
    const unknown = await cf.get(`/accounts/${ACCOUNT}/workers/scripts`).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Cloudflare.NotFoundError);
    expect((unknown as APIError).errors[0]?.code).toBe(7000);
  });
});
