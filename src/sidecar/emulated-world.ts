// What `--cloudflared emulator` needs when no real tunnel is configured: the demo world (Cloudflare API
// emulator holding a remotely-managed tunnel, its origins, optionally more replicas) and the settings that
// point tunnelwatch at it — the tunnel token for the connector and a read-only view of the API for the edge
// collector. The connector itself is still spawned and supervised by tunnelwatch like a real cloudflared.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../config/index.js';
import type { DemoStack } from '../emulator/demo-stack.js';
import { Secret } from '../base/index.js';

export interface EmulatedWorld {
  readonly stack: DemoStack;
  readonly settings: Settings;
  /** Where the supervised emulator writes its metrics, edge and fault-control addresses. */
  readonly portsFile: string;
  /** CFEMU_* variables for the supervised emulator. */
  readonly emulatorEnv: Readonly<Record<string, string>>;
}

export interface WorldOptions {
  /** Replicas besides tunnelwatch's own connector (the demo runs one, so the tunnel has HA). */
  readonly otherReplicas?: number;
  readonly timeScale?: number;
}

/** Starts the world and fills in the token and edge settings that were not given. */
export async function startEmulatedWorld(settings: Settings, options: WorldOptions = {}): Promise<EmulatedWorld> {
  // Loaded here: a sidecar given a real tunnel never needs the API emulator's code in its memory.
  const { startDemoStack } = await import('../emulator/demo-stack.js');
  const stack = await startDemoStack({ replicas: options.otherReplicas ?? 0, ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }) });
  const token = stack.api.tunnelToken(stack.accountId, stack.tunnelId);
  if (token === undefined) {
    await stack.stop();
    throw new Error('the API emulator has no token for its tunnel');
  }
  const edge = settings.edge;
  const portsFile = join(stack.dir, 'connector.ports.json');
  return {
    stack,
    portsFile,
    settings: {
      ...settings,
      cloudflared: { ...settings.cloudflared, token: new Secret(token) },
      edge: {
        ...edge,
        apiToken: edge.apiToken ?? new Secret(readFileSync(stack.apiTokenFile, 'utf8')),
        accountId: edge.accountId ?? stack.accountId,
        tunnelId: edge.tunnelId ?? stack.tunnelId,
        baseUrl: edge.apiToken === undefined ? stack.api.url : edge.baseUrl,
      },
    },
    emulatorEnv: {
      CFEMU_API: stack.api.origin,
      CFEMU_EDGE: '127.0.0.1:0',
      CFEMU_CONTROL: '127.0.0.1:0',
      CFEMU_PORTS_FILE: portsFile,
      ...(options.timeScale === undefined ? {} : { CFEMU_TIME_SCALE: String(options.timeScale) }),
    },
  };
}
