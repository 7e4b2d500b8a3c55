// A world for the real cloudflared: the Cloudflare API emulator (holding the tunnel, its token and, for a remotely
// managed tunnel, its configuration), the loopback edge registering every connection with it, origins on loopback
// (an HTTP app and a dead port), and the settings that make `tunnelwatch run` supervise the real binary against
// all of it. The same tunnel is seen three ways, as in production: cloudflared's outputs, the edge, and the API.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { startApiEmulator, type ApiEmulator } from '../../../src/emulator/api/main.js';
import { reserveDeadPort, startHttpOrigin, type RunningOrigin } from '../../../src/emulator/origins.js';
import { baseEnv } from '../../helpers/run-process.js';
import { LoopbackEdge } from './edge.js';

export const ACCOUNT = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e';
export const TUNNEL = '3a5c7e9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d';
export const HOSTS = { app: 'app.real.example', dead: 'dead.real.example' } as const;

export interface WorldOptions {
  /** auto: cloudflared starts on QUIC and may fall back to HTTP/2 (it only does with a token and no --protocol). */
  readonly protocol: 'quic' | 'http2' | 'auto';
  /** A dashboard-managed tunnel (config_src: cloudflare): the edge pushes its configuration after registration. */
  readonly remote?: boolean;
}

export interface RealWorld {
  readonly dir: string;
  readonly api: ApiEmulator;
  /** The edge as it runs now (restartEdge() replaces it). */
  readonly edge: LoopbackEdge;
  readonly app: RunningOrigin;
  readonly deadAddress: string;
  readonly token: string;
  /** Accepted by the API emulator, as a read-only Cloudflare API token would be. */
  readonly apiToken: string;
  readonly cloudflared: string;
  /** The ingress of the local config file (or of remote version 1). */
  readonly ingress: readonly Record<string, unknown>[];
  /** Settings for `tunnelwatch run` of the real cloudflared in this world, plus `extra`; `args` go to cloudflared. */
  env(extra?: Readonly<Record<string, string>>, args?: readonly string[]): Record<string, string>;
  /** Stops the edge (every connection drops); `whileDown` runs; then a new edge starts on the same addresses and CA. */
  restartEdge(whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

export async function startRealWorld(options: WorldOptions): Promise<RealWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'tw-real-'));
  const app = await startHttpOrigin({ listen: '127.0.0.1:0', name: 'app' });
  const deadAddress = `127.0.0.1:${String(await reserveDeadPort())}`;
  const ingress = [
    { hostname: HOSTS.app, service: `http://${app.address}` },
    { hostname: HOSTS.dead, service: `http://${deadAddress}` },
    { service: 'http_status:404' },
  ];
  const apiToken = randomBytes(24).toString('base64url');
  const api = await startApiEmulator({
    seed: {
      apiTokens: [apiToken],
      colos: ['lax01', 'lax08', 'sjc05', 'sjc01'],
      accounts: [
        {
          id: ACCOUNT,
          tunnels: [
            options.remote === true
              ? { id: TUNNEL, name: 'real-tunnel', config_src: 'cloudflare', config: { version: 1, config: { ingress } } }
              : { id: TUNNEL, name: 'real-tunnel' },
          ],
        },
      ],
    },
  });
  const token = api.tunnelToken(ACCOUNT, TUNNEL);
  if (token === undefined) throw new Error('the API emulator has no token for its tunnel');
  let edge = await LoopbackEdge.start(inject('edgeBinary'), dir, { api: api.origin });
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, `ingress:\n${ingress.map((r) => `  - ${JSON.stringify(r)}`).join('\n')}\n`);
  const cloudflared = inject('cloudflaredBinary');
  return {
    dir,
    api,
    get edge() {
      return edge;
    },
    app,
    deadAddress,
    token,
    apiToken,
    cloudflared,
    ingress,
    env: (extra = {}, args = []) =>
      baseEnv(join(dir, 'spool'), {
        TUNNELWATCH_CLOUDFLARED_TOKEN: token,
        TUNNELWATCH_CLOUDFLARED_PROTOCOL: options.protocol,
        TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: [...edge.cloudflaredArgs(), ...args].join(','),
        ...(options.remote === true ? {} : { TUNNELWATCH_CLOUDFLARED_CONFIG: configFile }),
        TUNNELWATCH_EDGE_API_TOKEN: apiToken,
        TUNNELWATCH_EDGE_ACCOUNT_ID: ACCOUNT,
        TUNNELWATCH_EDGE_TUNNEL_ID: TUNNEL,
        TUNNELWATCH_EDGE_BASE_URL: api.url,
        TUNNELWATCH_EDGE_POLL_INTERVAL: '1s',
        // The reachability checks look for Cloudflare's real edge; this world has none.
        TUNNELWATCH_EDGE_REACHABILITY_INTERVAL: '0s',
        TUNNELWATCH_CLOUDFLARED_POLL_INTERVAL: '250ms',
        TUNNELWATCH_ORIGINS_INTERVAL: '1s',
        TUNNELWATCH_SUPERVISOR_RESTART_BACKOFF_INITIAL: '200ms',
        TUNNELWATCH_SUPERVISOR_RESTART_BACKOFF_MAX: '2s',
        ...extra,
      }),
    restartEdge: async (whileDown) => {
      const addresses = edge.info.edges.map((e) => e.address);
      await edge.stop();
      await whileDown?.();
      edge = await LoopbackEdge.start(inject('edgeBinary'), dir, { api: api.origin, addresses });
    },
    stop: async () => {
      await edge.stop();
      await api.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
