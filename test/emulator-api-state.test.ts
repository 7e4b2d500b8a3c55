// The emulator's pure parts: the status rule, the state's connection bookkeeping, the rate limiter, list
// queries and seed validation. No sockets; time is a number the test moves.
import { describe, expect, it } from 'vitest';
import { parseListQuery } from '../src/emulator/api/list-query.js';
import { RateLimiter } from '../src/emulator/api/rate-limit.js';
import { parseSeed, readSeedDocument, SeedError } from '../src/emulator/api/seed.js';
import { EmulatorState } from '../src/emulator/api/state.js';
import { tunnelStatus } from '../src/emulator/api/status.js';
import type { RegisterRequest } from '../src/emulator/edge-protocol.js';
import { ACCOUNT, CONNECTOR_A, REMOTE_TUNNEL, SECRET, TUNNEL, manualClock, seed } from './emulator-api-helpers.js';

describe('tunnelStatus', () => {
  it.each([
    [{ everActive: false, active: 0, pendingReconnect: 0 }, 'inactive'],
    [{ everActive: true, active: 0, pendingReconnect: 0 }, 'down'],
    [{ everActive: true, active: 0, pendingReconnect: 3 }, 'down'],
    [{ everActive: true, active: 4, pendingReconnect: 0 }, 'healthy'],
    [{ everActive: true, active: 1, pendingReconnect: 0 }, 'healthy'],
    [{ everActive: true, active: 3, pendingReconnect: 1 }, 'degraded'],
  ] as const)('%j is %s', (counts, status) => {
    expect(tunnelStatus(counts)).toBe(status);
  });
});

function newState(lingerMs = 1000) {
  const clock = manualClock();
  const state = new EmulatorState(parseSeed(seed({ pendingReconnectLingerMs: lingerMs })), clock.now);
  const reg = (connIndex: number, connectionId = `c${String(connIndex)}`): RegisterRequest => ({
    accountTag: ACCOUNT,
    tunnelId: TUNNEL,
    tunnelSecret: SECRET,
    connectorId: CONNECTOR_A,
    connIndex,
    connectionId,
    protocol: 'http2',
    edgeIp: '198.41.200.13',
    originIp: '203.0.113.10',
    version: '2026.8.2',
    arch: 'linux_arm64',
    features: [],
    configVersion: 5,
    runAt: '2026-09-01T11:00:00Z',
  });
  const tunnel = () => state.tunnel(ACCOUNT, TUNNEL) ?? expect.unreachable('seeded tunnel');
  return { clock, state, reg, tunnel };
}

describe('EmulatorState', () => {
  it('keeps the first pendingSince when a loss is reported twice, and a clean end removes a pending one', () => {
    const { clock, state, reg, tunnel } = newState();
    state.register(reg(0));
    const lostAt = clock.now();
    state.unregister({ tunnelId: TUNNEL, connectorId: CONNECTOR_A, connectionId: 'c0', pendingReconnect: true });
    clock.advance(500);
    state.unregister({ tunnelId: TUNNEL, connectorId: CONNECTOR_A, connectionId: 'c0', pendingReconnect: true });
    expect(tunnel().connectors.get(CONNECTOR_A)?.conns.get('c0')?.pendingSince).toBe(lostAt);
    clock.advance(499);
    expect(tunnel().connectors.size).toBe(1);
    state.unregister({ tunnelId: TUNNEL, connectorId: CONNECTOR_A, connectionId: 'c0', pendingReconnect: false });
    expect(tunnel().connectors.size).toBe(0);
  });

  it('drops a pending connection on the next read when the linger is 0', () => {
    const { state, reg, tunnel } = newState(0);
    state.register(reg(0));
    state.unregister({ tunnelId: TUNNEL, connectorId: CONNECTOR_A, connectionId: 'c0', pendingReconnect: true });
    expect(tunnel().connectors.size).toBe(0);
    expect(state.status(tunnel())).toBe('down');
  });

  it('refuses a second connection for a slot on the same edge server (EDUPCONN); on another server the old one is lost', () => {
    const { state, reg, tunnel } = newState();
    state.register(reg(0, 'first'));
    expect(state.register(reg(0, 'second'))).toEqual({ ok: false, error: 'EDUPCONN', retryable: true });
    expect(state.register({ ...reg(0, 'second'), edgeIp: '198.41.192.27' })).toEqual({ ok: true, location: 'lax01' });
    const conns = tunnel().connectors.get(CONNECTOR_A)?.conns;
    expect([...(conns?.values() ?? [])].map((c) => [c.id, c.pendingSince === null ? 'active' : 'pending'])).toEqual([
      ['first', 'pending'],
      ['second', 'active'],
    ]);
  });

  it('updates the connector from its latest registration', () => {
    const { state, reg, tunnel } = newState();
    state.register(reg(0));
    state.register({ ...reg(1), configVersion: 6 });
    expect(tunnel().connectors.get(CONNECTOR_A)).toMatchObject({ configVersion: 6, arch: 'linux_arm64' });
  });

  it('keeps conns_active_at through a reconnect that never left the tunnel without a connection', () => {
    const { clock, state, reg, tunnel } = newState();
    state.register(reg(0));
    const activeAt = clock.now();
    clock.advance(5000);
    state.register(reg(1));
    state.unregister({ tunnelId: TUNNEL, connectorId: CONNECTOR_A, connectionId: 'c0', pendingReconnect: true });
    expect(tunnel()).toMatchObject({ connsActiveAt: activeAt, connsInactiveAt: null });
  });

  it('refuses to register on a deleted tunnel or with another account tag', () => {
    const clock = manualClock();
    const deleted = parseSeed(seed({ accounts: [{ id: ACCOUNT, tunnels: [{ id: TUNNEL, name: 'old', secret: SECRET, deleted_at: '2026-08-30T00:00:00Z' }] }] }));
    const state = new EmulatorState(deleted, clock.now);
    const { reg } = newState();
    expect(state.register(reg(0))).toEqual({ ok: false, error: 'Unauthorized: Failed to get tunnel', retryable: false });
    expect(newState().state.register({ ...reg(0), accountTag: 'f'.repeat(32) })).toMatchObject({ error: 'Unauthorized: Failed to get tunnel' });
  });

  it('hands the edge a configuration only for a remotely managed tunnel that has one', () => {
    const { state, tunnel } = newState();
    expect(state.edgeConfig(REMOTE_TUNNEL)).toEqual({ version: 3, config: { ingress: [{ service: 'http_status:404' }] } });
    expect(state.edgeConfig(TUNNEL)).toBeUndefined();
    state.putConfiguration(tunnel(), { ingress: [{ service: 'http_status:503' }] });
    expect(tunnel().configSrc).toBe('cloudflare');
    expect(state.edgeConfig(TUNNEL)).toEqual({ version: 1, config: { ingress: [{ service: 'http_status:503' }] } });
  });
});

describe('RateLimiter', () => {
  it('starts a fresh window after windowMs when the budget was not exceeded', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 2, windowMs: 10_000 }, clock.now);
    expect(limiter.take(0).allowed).toBe(true);
    clock.advance(4000);
    expect(limiter.take(0).headers.ratelimit).toBe('"default";r=0;t=6');
    clock.advance(6000);
    expect(limiter.take(0)).toMatchObject({ allowed: true, headers: { ratelimit: '"default";r=1;t=10' } });
  });

  it('blocks for a whole window from the request that went over, rounding retry-after up', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 2500 }, clock.now);
    limiter.take(0);
    clock.advance(2000);
    expect(limiter.take(0)).toMatchObject({ allowed: false, headers: { 'retry-after': '3' } });
    clock.advance(2000);
    expect(limiter.take(0)).toMatchObject({ allowed: false, headers: { 'retry-after': '1' } });
    clock.advance(500);
    expect(limiter.take(0).allowed).toBe(true);
  });

  it('forgets budgets when the policy changes', () => {
    const limiter = new RateLimiter({ limit: 1, windowMs: 60_000 }, manualClock().now);
    limiter.take(0);
    expect(limiter.take(0).allowed).toBe(false);
    limiter.setPolicy({ limit: 5, windowMs: 60_000 });
    expect(limiter.take(0)).toMatchObject({ allowed: true, headers: { 'ratelimit-policy': '"default";q=5;w=60' } });
  });
});

describe('parseListQuery', () => {
  it.each([
    ['page=0', 'page must be a whole number from 1 to 9007199254740991, got "0"'],
    ['per_page=1001', 'per_page must be a whole number from 1 to 1000, got "1001"'],
    ['per_page=2.5', 'per_page must be a whole number from 1 to 1000, got "2.5"'],
    ['is_deleted=yes', 'is_deleted must be true or false, got "yes"'],
    ['status=up', 'status must be one of inactive, healthy, degraded, down, got "up"'],
  ])('%s -> %s', (query, message) => {
    expect(parseListQuery(new URLSearchParams(query))).toBe(message);
  });

  it('defaults to page 1 of 20 and ignores parameters it does not know', () => {
    expect(parseListQuery(new URLSearchParams('existed_at=2026-01-01T00:00:00Z'))).toMatchObject({ page: 1, perPage: 20 });
  });
});

describe('seed', () => {
  it.each([
    [{ apiTokens: ['t'], acounts: [] }, '✖ Unrecognized key: "acounts"'],
    [{ apiTokens: ['t'], accounts: [{ id: 'ABC' }] }, '✖ expected an account tag of 32 lower-case hex digits\n  → at accounts[0].id'],
    [{ apiTokens: ['t'], accounts: [{ id: ACCOUNT, tunnels: [{ id: TUNNEL, name: 'a', secret: 'AAAA' }] }] }, '✖ a tunnel secret is at least 32 bytes\n  → at accounts[0].tunnels[0].secret'],
    [
      { apiTokens: ['t'], accounts: [{ id: ACCOUNT, tunnels: [{ id: TUNNEL, name: 'a' }, { id: TUNNEL, name: 'b' }] }] },
      '✖ tunnel id already used at accounts[0].tunnels[0]\n  → at accounts[0].tunnels[1].id',
    ],
    [
      { apiTokens: ['t'], accounts: [{ id: ACCOUNT, tunnels: [{ id: TUNNEL, name: 'a', config: { version: 1, config: {} } }] }] },
      '✖ only a config_src: cloudflare tunnel has a remote config\n  → at accounts[0].tunnels[0].config',
    ],
    [{}, '✖ no API token: set apiTokens (or CLOUDFLARE_API_TOKEN)\n  → at apiTokens'],
  ])('rejects %j', (input, message) => {
    expect(() => parseSeed(input)).toThrow(new SeedError(`invalid emulator seed:\n${message}`));
  });

  it('derives a stable secret when none is given and accepts a fallback token', () => {
    const input = { accounts: [{ id: ACCOUNT, tunnels: [{ id: TUNNEL, name: 'a' }] }] };
    const [a, b] = [parseSeed(input, 'env-token'), parseSeed(input, 'env-token')];
    expect(a.accounts[0]?.tunnels[0]?.secret.equals(b.accounts[0]?.tunnels[0]?.secret ?? Buffer.alloc(0))).toBe(true);
    expect(a.apiTokens.map((t) => t.reveal())).toEqual(['env-token']);
    expect(JSON.stringify(a)).not.toContain('env-token');
  });

  it('reads YAML and says which file could not be read', () => {
    expect(readSeedDocument('apiTokens: [a]\n', 'seed.yml')).toEqual({ apiTokens: ['a'] });
    expect(() => readSeedDocument('apiTokens: [a\n', 'seed.yml')).toThrow(/^cannot read the emulator seed seed\.yml: /);
  });
});
