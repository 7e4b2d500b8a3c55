import { createWriteStream, mkdtempSync, type WriteStream } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tunnelClient } from '../../collectors/index.js';
import { type EmulatedWorld, Sidecar, startEmulatedWorld } from '../../sidecar/index.js';
import type { HealthSnapshot } from '../../state/index.js';
import { levelName, type LineOutput } from '../../telemetry/logs/index.js';
import { parseCommandArgs, parseTiming } from '../args.js';
import { EXIT, type Io } from '../io.js';
import { write } from '../../base/index.js';
import { renderDiagnostics } from '../render-diagnostics.js';
import { loadSettingsFor } from '../settings-input.js';

// The demo shows results within seconds; production defaults are slower on purpose (API budget, probe load).
const DEMO_SETTINGS = ['cloudflared.binary=emulator', 'server.listen=127.0.0.1:9330', 'origins.interval=2s', 'origins.failuresToDown=2', 'edge.pollInterval=3s', 'cloudflared.pollInterval=1s'];
const BY_DEMO = "the demo's own settings";

/** Every record goes to a JSON lines file; tunnelwatch's own are also shown on the terminal, one short line each. */
function demoOutput(file: WriteStream, io: Io): LineOutput {
  return {
    write(chunk: string): boolean {
      for (const line of chunk.split('\n')) {
        if (!line.includes('"source":"tunnelwatch"')) continue;
        const r = JSON.parse(line) as { time: number; level: number; msg: string };
        io.stdout.write(`${new Date(r.time).toISOString().slice(11, 19)} ${levelName(r.level).toUpperCase().padEnd(5)} ${r.msg}\n`);
      }
      return file.write(chunk);
    },
    get writableLength() {
      return file.writableLength;
    },
  };
}

/** One visitor request through a replica's edge listener; fetch() cannot set Host, so node:http is used. */
function visit(edge: string, host: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request(`http://${edge}/`, { headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => { resolve(String(res.statusCode)); });
    });
    req.on('error', (error) => { resolve(`failed (${error.message})`); });
    req.end();
  });
}

async function until(test: () => boolean, timeoutMs: number, stop: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test() && !stop.aborted && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

function where(world: EmulatedWorld, address: string, records: string): string {
  const s = world.stack;
  let out = `status page     http://${address}/        (also /status, /metrics, /healthz, /readyz)\n`;
  out += `records         ${records}   (every record as one JSON line)\n`;
  out += `API emulator    ${s.api.url}   (token in ${s.apiTokenFile})\n`;
  out += `connectors      tunnelwatch's own (ports in ${world.portsFile}) and ${s.replicas.map((r) => `${r.name} (pid ${String(r.child.pid)})`).join(', ')}\n`;
  out += `faults          curl -X POST http://<control from the ports file>/faults -d '{"fault":"drop","conn":1}'\n`;
  out += `origins         ${s.hostnames.http} -> http://${s.origins.http}, ${s.hostnames.ssh} -> ssh://${s.origins.tcp}, ${s.hostnames.dead} -> http://${s.origins.dead} (nothing listens)\n\n`;
  return out;
}

async function checks(world: EmulatedWorld, snapshot: () => HealthSnapshot, stop: AbortSignal): Promise<string> {
  await until(() => snapshot().state === 'healthy' && snapshot().origins.every((o) => o.state !== 'unknown') && snapshot().edge.status !== 'unknown', 60_000, stop);
  if (stop.aborted) return '';
  const s = snapshot();
  let out = `\nchecks\n  connector: ${s.state}, ${String(s.registeredConnections)} of ${String(s.expectedConnections)} connections registered${s.reasons.length > 0 ? ` (${s.reasons.map((r) => r.message).join('; ')})` : ''}\n`;
  for (const o of s.origins) out += `  origin ${o.hostname ?? o.key}: ${o.state}${o.reason === undefined ? '' : ` (${o.reason})`}\n`;
  const e = world.settings.edge;
  const tunnels = tunnelClient({ apiToken: e.apiToken?.reveal() ?? '', baseURL: e.baseUrl, maxRetries: 0 });
  const tunnel = await tunnels.get(world.stack.tunnelId, { account_id: world.stack.accountId });
  const connectors = await tunnels.connections.get(world.stack.tunnelId, { account_id: world.stack.accountId });
  out += `  edge (through the cloudflare SDK): tunnel ${tunnel.name ?? '?'} is ${tunnel.status ?? '?'}, ${String(connectors.result.length)} connectors; tunnelwatch sees ${s.edge.status}\n`;
  const other = world.stack.replicas[0];
  if (other !== undefined) {
    for (const host of [world.stack.hostnames.http, world.stack.hostnames.dead, 'unknown.demo.example']) {
      out += `  GET https://${host}/ via ${other.name}: ${await visit(other.ports.edge, host)}\n`;
    }
  }
  return out;
}

/** The demo's own options, once parsed. */
interface DemoValues {
  readonly listen?: string;
  readonly for?: string;
  readonly settings?: string;
  readonly set?: readonly string[];
}

/**
 * Aborted by the first SIGINT or SIGTERM, with the signal's name as the reason. Installed before anything starts,
 * so a Ctrl-C during start-up or the checks stops the demo and its emulated cloudflared too.
 */
function stopOnSignal(): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => { controller.abort(name); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Why the demo stops: the signal, or `--for` elapsed. */
function stopReason(stop: AbortSignal, forMs: number | undefined): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string): void => {
      clearTimeout(timer);
      resolve(why);
    };
    const timer = forMs === undefined ? undefined : setTimeout(() => { done('--for elapsed'); }, forMs);
    if (stop.aborted) done(String(stop.reason));
    else stop.addEventListener('abort', () => { done(String(stop.reason)); }, { once: true });
  });
}

export async function demoCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs(
    'demo',
    args,
    {
      listen: { type: 'string' },
      for: { type: 'string' },
      'time-scale': { type: 'string' },
      settings: { type: 'string' },
      set: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  const timing = await parseTiming(v, 'demo', io);
  if (typeof timing === 'number') return timing;
  const { forMs, timeScale: scale } = timing;
  const stop = stopOnSignal();
  try {
    return await demo(v, forMs, scale, stop.signal, io);
  } finally {
    stop.dispose();
  }
}

async function demo(v: DemoValues, forMs: number | undefined, scale: number | undefined, stop: AbortSignal, io: Io): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tunnelwatch-demo-run-'));
  const sets = [
    ...[...DEMO_SETTINGS, `logs.spoolDir=${join(dir, 'spool')}`].map((set) => ({ set, flag: BY_DEMO })),
    ...(v.listen === undefined ? [] : [{ set: `server.listen=${v.listen}`, flag: '--listen' }]),
    ...(v.set ?? []),
  ];
  const loaded = loadSettingsFor(io, v.settings, sets);
  if (!loaded.ok) {
    await write(io.stderr, renderDiagnostics('settings', loaded.diagnostics));
    return EXIT.failed;
  }
  await write(io.stdout, 'tunnelwatch demo: tunnelwatch supervising an emulated cloudflared in an emulated Cloudflare Tunnel on loopback\n\n');
  let world: EmulatedWorld;
  try {
    world = await startEmulatedWorld(loaded.settings, { otherReplicas: 1, ...(scale === undefined ? {} : { timeScale: scale }) });
  } catch (error) {
    await write(io.stderr, `tunnelwatch demo: cannot start the emulated world: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  const recordsFile = join(dir, 'tunnelwatch.jsonl');
  const file = createWriteStream(recordsFile);
  let sidecar: Sidecar;
  try {
    sidecar = await Sidecar.start({ settings: world.settings, env: io.env, stdout: demoOutput(file, io), emulatorEnv: world.emulatorEnv });
  } catch (error) {
    await world.stack.stop();
    await write(io.stderr, `tunnelwatch demo: cannot start tunnelwatch: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  await write(io.stdout, where(world, sidecar.address, recordsFile));
  let code: number;
  try {
    await write(io.stdout, await checks(world, () => sidecar.health.snapshot, stop));
    if (!stop.aborted) await write(io.stdout, forMs === undefined ? '\nRunning; press Ctrl-C to stop.\n' : `\nRunning for ${v.for ?? ''}.\n`);
    code = await sidecar.stop(await stopReason(stop, forMs));
  } finally {
    await sidecar.stop('demo ending');
    await world.stack.stop();
    await new Promise((resolve) => file.end(resolve));
  }
  await write(io.stdout, `Stopped (exit code ${String(code)}); records kept in ${recordsFile}\n`);
  return code;
}
