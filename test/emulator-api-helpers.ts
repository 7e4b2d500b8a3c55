// Shared by the test/emulator-api*.test.ts files: a seed, a hand-moved clock, an SDK client for the emulator,
// and a stand-in for an emulated cloudflared that talks to /__edge.
import Cloudflare from 'cloudflare';
import type { RegisterRequest, RegisterResponse, UnregisterRequest } from '../src/emulator/edge-protocol.js';
import { EDGE_REGISTER_PATH, EDGE_UNREGISTER_PATH } from '../src/emulator/edge-protocol.js';
import type { ApiEmulatorSeed } from '../src/emulator/api/seed.js';

export const ACCOUNT = '0123456789abcdef0123456789abcdef';
export const OTHER_ACCOUNT = 'fedcba9876543210fedcba9876543210';
export const TOKEN = 'test-api-token-0123456789';
export const TUNNEL = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
export const REMOTE_TUNNEL = 'c3f4a6b2-1d1e-4f0a-9c55-2b7e8d9a0f11';
export const SECRET = Buffer.alloc(32, 7).toString('base64');
export const CONNECTOR_A = '11111111-2222-4333-8444-555555555555';
export const CONNECTOR_B = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
export const START = Date.parse('2026-09-01T12:00:00.000Z');

export function seed(extra: Partial<ApiEmulatorSeed> = {}): ApiEmulatorSeed {
  return {
    apiTokens: [TOKEN],
    colos: ['lax01', 'lax08', 'sjc05', 'sjc01'],
    pendingReconnectLingerMs: 180_000,
    accounts: [
      {
        id: ACCOUNT,
        tunnels: [
          { id: TUNNEL, name: 'prod-web', secret: SECRET, created_at: '2026-08-01T00:00:00Z' },
          { id: REMOTE_TUNNEL, name: 'prod-api', config_src: 'cloudflare', config: { version: 3, config: { ingress: [{ service: 'http_status:404' }] } } },
        ],
      },
      { id: OTHER_ACCOUNT, tunnels: [] },
    ],
    ...extra,
  };
}

/** A clock the test moves by hand; the emulator reads it for linger, rate windows and timestamps. */
export function manualClock(start = START): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

export function client(url: string, options: { token?: string; maxRetries?: number; timeout?: number } = {}): Cloudflare {
  return new Cloudflare({ apiToken: options.token ?? TOKEN, baseURL: url, maxRetries: options.maxRetries ?? 0, timeout: options.timeout ?? 5000 });
}

async function post(origin: string, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** One emulated cloudflared process: registers and ends HA connections like the real one's RPCs. */
export function connector(origin: string, connectorId: string, tunnelId = TUNNEL, secret = SECRET) {
  const connection = (connIndex: number, generation = 0): string =>
    `${connectorId.slice(0, 8)}-0000-4000-8000-${String(generation).padStart(6, '0')}${String(connIndex).padStart(6, '0')}`;
  return {
    connection,
    register: async (connIndex: number, generation = 0): Promise<RegisterResponse> => {
      const req: RegisterRequest = {
        accountTag: ACCOUNT,
        tunnelId,
        tunnelSecret: secret,
        connectorId,
        connIndex,
        connectionId: connection(connIndex, generation),
        protocol: 'quic',
        edgeIp: `198.41.192.${String(7 + connIndex)}`,
        originIp: '203.0.113.10',
        version: '2026.8.2',
        arch: 'linux_amd64',
        features: ['serialized_headers', 'support_datagram_v3_2', 'management_logs'],
        configVersion: -1,
        runAt: '2026-09-01T11:59:58Z',
      };
      const res = await post(origin, EDGE_REGISTER_PATH, req);
      if (res.status !== 200) throw new Error(`register answered ${String(res.status)}: ${JSON.stringify(res.body)}`);
      return res.body as RegisterResponse;
    },
    unregister: async (connIndex: number, pendingReconnect: boolean, generation = 0): Promise<unknown> => {
      const req: UnregisterRequest = { tunnelId, connectorId, connectionId: connection(connIndex, generation), pendingReconnect };
      return (await post(origin, EDGE_UNREGISTER_PATH, req)).body;
    },
  };
}

export { post };
