// The stand-in world of `tunnelwatch demo`: a Cloudflare API emulator holding one remotely-managed tunnel,
// emulated cloudflared replicas of it (real child processes), and the origins its ingress rules point at —
// one HTTP service, one SSH-like TCP service and one dead port. Every part is a real server on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../base/index.js';
import { startApiEmulator, type ApiEmulator } from './api/main.js';
import { reserveDeadPort, startHttpOrigin, startTcpOrigin } from './origins.js';

const ACCOUNT = 'd3b07384d113edec49eaa6238ad5ff00';
const TUNNEL = '6ff42ae2-765d-4adf-8112-31c55c1551ef';

/** Where one emulated replica serves, as its CFEMU_PORTS_FILE says. */
export interface ReplicaPorts {
  readonly metrics: string;
  readonly edge: string;
  readonly control: string;
}

export interface Replica {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly ports: ReplicaPorts;
}

export interface DemoStack {
  readonly dir: string;
  readonly api: ApiEmulator;
  readonly apiTokenFile: string;
  readonly accountId: string;
  readonly tunnelId: string;
  readonly origins: { readonly http: string; readonly tcp: string; readonly dead: string };
  readonly hostnames: { readonly http: string; readonly ssh: string; readonly dead: string };
  readonly replicas: readonly Replica[];
  /** SIGTERM to every replica (graceful, like cloudflared), then the servers; resolves when all are gone. */
  stop(): Promise<void>;
}

export interface DemoOptions {
  readonly replicas?: number;
  /** CFEMU_TIME_SCALE for the replicas: below 1 compresses cloudflared's waits (tests use 0.01). */
  readonly timeScale?: number;
  /** How long to wait for each replica to write its ports file. */
  readonly startTimeoutMs?: number;
}

function waitForPortsFile(path: string, child: ChildProcess, timeoutMs: number): Promise<ReplicaPorts> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error(`emulated cloudflared exited (${String(child.exitCode ?? child.signalCode)}) before it started serving`));
        return;
      }
      try {
        resolve(JSON.parse(readFileSync(path, 'utf8')) as ReplicaPorts);
      } catch {
        if (Date.now() - started > timeoutMs) reject(new Error(`emulated cloudflared did not write ${path} within ${String(timeoutMs)} ms`));
        else setTimeout(poll, 20);
      }
    };
    poll();
  });
}

// cloudflared's default grace period is 30 s; a replica still alive well after that is killed.
const STOP_KILL_AFTER_MS = 35_000;

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), STOP_KILL_AFTER_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts the whole demo world; throws (after cleaning up) when a part cannot start. */
export async function startDemoStack(options: DemoOptions = {}): Promise<DemoStack> {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelwatch-demo-'));
  const http = await startHttpOrigin({ listen: '127.0.0.1:0', name: 'demo-app' });
  const tcp = await startTcpOrigin({ listen: '127.0.0.1:0' });
  const dead = `127.0.0.1:${String(await reserveDeadPort())}`;
  const hostnames = { http: 'app.demo.example', ssh: 'ssh.demo.example', dead: 'dead.demo.example' };
  // The demo token only opens this local emulator; it is written to a file, never printed.
  const apiToken = randomBytes(24).toString('base64url');
  const apiTokenFile = join(dir, 'api-token');
  writeFileSync(apiTokenFile, apiToken, { mode: 0o600 });
  const api = await startApiEmulator({
    seed: {
      apiTokens: [apiToken],
      accounts: [
        {
          id: ACCOUNT,
          tunnels: [
            {
              id: TUNNEL,
              name: 'demo-tunnel',
              config_src: 'cloudflare',
              config: {
                version: 1,
                config: {
                  ingress: [
                    { hostname: hostnames.http, service: `http://${http.address}` },
                    { hostname: hostnames.ssh, service: `ssh://${tcp.address}` },
                    { hostname: hostnames.dead, service: `http://${dead}` },
                    { service: 'http_status:404' },
                  ],
                },
              },
            },
          ],
        },
      ],
    },
  });
  const token = api.tunnelToken(ACCOUNT, TUNNEL);
  const replicas: Replica[] = [];
  // If this process dies without stop() (an uncaught error), take the replicas with it: no orphans.
  const killReplicas = (): void => {
    for (const r of replicas) r.child.kill('SIGKILL');
  };
  process.once('exit', killReplicas);
  const closeServers = async (): Promise<void> => {
    process.off('exit', killReplicas);
    await Promise.all([api.close(), http.close(), tcp.close()]);
  };
  try {
    if (token === undefined) throw new Error('the API emulator has no token for the demo tunnel');
    const bin = join(packageRoot(), 'bin', 'cloudflared-emulator');
    for (let i = 1; i <= (options.replicas ?? 2); i++) {
      const name = `replica-${String(i)}`;
      const portsFile = join(dir, `${name}.ports.json`);
      const logFile = join(dir, `${name}.log`);
      const child = spawn(process.execPath, [bin, 'tunnel', '--no-autoupdate', '--metrics', '127.0.0.1:0', 'run'], {
        env: {
          PATH: process.env.PATH,
          TUNNEL_TOKEN: token,
          CFEMU_API: api.origin,
          CFEMU_EDGE: '127.0.0.1:0',
          CFEMU_CONTROL: '127.0.0.1:0',
          CFEMU_PORTS_FILE: portsFile,
          CFEMU_SEED: name,
          ...(options.timeScale === undefined ? {} : { CFEMU_TIME_SCALE: String(options.timeScale) }),
        },
        stdio: ['ignore', 'ignore', 'pipe'],
        // Its own process group: a Ctrl-C in the terminal reaches only tunnelwatch, which then sends the one
        // SIGTERM a graceful cloudflared stop needs (a second signal would kill it at once).
        detached: true,
      });
      child.stderr.pipe(createWriteStream(logFile));
      const ports = await waitForPortsFile(portsFile, child, options.startTimeoutMs ?? 10_000).catch(async (error: unknown) => {
        await stopChild(child);
        throw error;
      });
      replicas.push({ name, child, logFile, ports });
    }
  } catch (error) {
    await Promise.all(replicas.map((r) => stopChild(r.child)));
    await closeServers();
    throw error;
  }
  return {
    dir,
    api,
    apiTokenFile,
    accountId: ACCOUNT,
    tunnelId: TUNNEL,
    origins: { http: http.address, tcp: tcp.address, dead },
    hostnames,
    replicas,
    stop: async () => {
      await Promise.all(replicas.map((r) => stopChild(r.child)));
      await closeServers();
      // The directory holds the API token and the replicas' logs: nothing of the demo outlives it.
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
