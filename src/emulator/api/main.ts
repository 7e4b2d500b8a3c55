// Starting the Cloudflare API emulator: in-process for tests (startApiEmulator), or as a process a parent
// can find through the one JSON line it prints once listening (runApiEmulator).
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import * as z from 'zod';
import { encodeTunnelToken } from '../../cloudflared/token.js';
import { readTextOrUndefined, write } from '../../base/index.js';
import { faultPatchSchema, Faults, type FaultPatch } from './faults.js';
import { RateLimiter } from './rate-limit.js';
import { parseSeed, readSeedDocument, SeedError, type ApiEmulatorSeed } from './seed.js';
import { API_PREFIX, createApiServer, type RequestRecord } from './server.js';
import { EmulatorState, type Clock } from './state.js';

export interface ApiEmulatorOptions {
  /** The starting world (validated; a bad seed throws SeedError). */
  readonly seed?: ApiEmulatorSeed;
  /** Also accepted as an API token (runApiEmulator passes CLOUDFLARE_API_TOKEN). */
  readonly fallbackToken?: string;
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** The emulator's clock, for pending-reconnect linger, rate-limit windows and timestamps; Date.now by default. */
  readonly now?: Clock;
  readonly onRequest?: (record: RequestRecord) => void;
}

export interface ApiEmulator {
  /** Base URL for the SDK's `baseURL`, ending in /client/v4. */
  readonly url: string;
  /** Scheme, host and port: where /__edge and /__emulator live. */
  readonly origin: string;
  readonly state: EmulatorState;
  /** Same as POST /__emulator/faults; throws on an invalid patch. */
  setFaults(patch: FaultPatch): void;
  resetFaults(): void;
  /** The tunnel token the dashboard would show (GET …/token), for starting an emulated connector. */
  tunnelToken(accountTag: string, tunnelId: string): string | undefined;
  /** Idempotent. */
  close(): Promise<void>;
}

function hostForUrl(address: AddressInfo): string {
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
}

export async function startApiEmulator(options: ApiEmulatorOptions = {}): Promise<ApiEmulator> {
  const seed = parseSeed(options.seed ?? {}, options.fallbackToken);
  const clock = options.now ?? Date.now;
  const state = new EmulatorState(seed, clock);
  const limiter = new RateLimiter(seed.rateLimit, clock);
  const faults = new Faults(limiter);
  const api = createApiServer({ state, faults, limiter, apiTokens: seed.apiTokens, onRequest: options.onRequest });
  await new Promise<void>((resolve, reject) => {
    api.server.once('error', reject);
    api.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      api.server.off('error', reject);
      resolve();
    });
  });
  const address = api.server.address() as AddressInfo;
  const origin = `http://${hostForUrl(address)}:${String(address.port)}`;
  let closed: Promise<void> | undefined;
  return {
    url: `${origin}${API_PREFIX}`,
    origin,
    state,
    setFaults: (patch) => {
      const parsed = faultPatchSchema.safeParse(patch);
      if (!parsed.success) throw new Error(`invalid fault patch:\n${z.prettifyError(parsed.error)}`);
      faults.apply(parsed.data);
    },
    resetFaults: () => {
      faults.reset();
    },
    tunnelToken: (accountTag, tunnelId) => {
      const tunnel = state.tunnel(accountTag, tunnelId);
      return tunnel && encodeTunnelToken({ accountTag, tunnelId: tunnel.id, secret: tunnel.secret });
    },
    close: () => (closed ??= api.close()),
  };
}

/** What runApiEmulator touches, so it can run in-process in tests. */
export interface EmulatorProcessIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly readText: (path: string) => string | undefined;
  /** Calls `stop` on SIGTERM or SIGINT; returns a function that removes the handlers. */
  readonly onTerminate: (stop: () => void) => () => void;
}

function processIo(): EmulatorProcessIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readText: readTextOrUndefined,
    onTerminate: (stop) => {
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      return () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      };
    },
  };
}

export const EMULATOR_USAGE = `Usage: emulate api [--listen HOST:PORT] [--state FILE]

Serves the Cloudflare v4 tunnel API (and the /__edge control plane for emulated cloudflared) until SIGTERM.
  --listen HOST:PORT  where to listen (default 127.0.0.1:0, a free port; [::1]:PORT for IPv6)
  --state FILE        YAML or JSON seed: apiTokens, accounts with tunnels, colos, pendingReconnectLingerMs,
                      rateLimit. CLOUDFLARE_API_TOKEN, when set, is accepted as a token too.
Prints one JSON line {"url": ".../client/v4", "origin": "..."} on stdout once listening.
`;

type Args = { listen: { host: string; port: number }; state?: string } | { error: string } | { help: true };

function parseListen(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  return host !== undefined && port <= 65535 ? { host, port } : undefined;
}

function parseArgs(argv: readonly string[]): Args {
  let listen = { host: '127.0.0.1', port: 0 };
  let state: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return { help: true };
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag !== '--listen' && flag !== '--state') return { error: `unknown argument "${arg}"` };
    const value = inline ?? argv[(i += 1)];
    if (value === undefined || value === '') return { error: `${flag} needs a value` };
    if (flag === '--state') state = value;
    else {
      const parsed = parseListen(value);
      if (!parsed) return { error: `--listen takes HOST:PORT (port 0-65535), got "${value}"` };
      listen = parsed;
    }
  }
  return state === undefined ? { listen } : { listen, state };
}

/** The process entry: exit code 0 after SIGTERM/SIGINT, 1 for a bad seed or listen failure, 2 for usage. */
export async function runApiEmulator(argv: readonly string[], env: NodeJS.ProcessEnv, io: EmulatorProcessIo = processIo()): Promise<number> {
  const args = parseArgs(argv);
  if ('help' in args) {
    await write(io.stdout, EMULATOR_USAGE);
    return 0;
  }
  if ('error' in args) {
    await write(io.stderr, `emulate api: ${args.error}\n\n${EMULATOR_USAGE}`);
    return 2;
  }
  let emulator: ApiEmulator;
  try {
    const text = args.state === undefined ? undefined : io.readText(args.state);
    if (args.state !== undefined && text === undefined) throw new SeedError(`cannot read the emulator seed ${args.state}`);
    // The document is validated by startApiEmulator, which throws SeedError naming each bad path.
    const seed = (text === undefined ? {} : readSeedDocument(text, args.state ?? '')) as ApiEmulatorSeed;
    emulator = await startApiEmulator({ seed, fallbackToken: env.CLOUDFLARE_API_TOKEN || undefined, ...args.listen });
  } catch (error) {
    await write(io.stderr, `emulate api: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  await write(io.stdout, `${JSON.stringify({ url: emulator.url, origin: emulator.origin })}\n`);
  await new Promise<void>((resolve) => {
    const off = io.onTerminate(() => {
      off();
      resolve();
    });
  });
  await emulator.close();
  return 0;
}
