import Cloudflare from 'cloudflare';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { parseGoDuration } from '../../cloudflared/go-duration.js';
import { startDemoStack, type DemoStack, type Replica } from '../../emulator/demo-stack.js';
import { parseCommandArgs } from '../args.js';
import { EXIT, write, type Io } from '../io.js';

const USAGE = `Usage: tunnelwatch demo [--for DURATION] [--time-scale N]

Starts an emulated Cloudflare Tunnel on loopback — a Cloudflare API emulator, two emulated cloudflared
replicas (real processes) and three origins (HTTP, SSH-like TCP, and a dead port) — checks that it works,
prints where to look, and keeps running until Ctrl-C. No real cloudflared, token or network is needed.

  --for DURATION      stop by itself after this long (e.g. 30s)
  --time-scale N      compress cloudflared's waits (0.1 = ten times faster); default 1
`;

/** Polls /ready until every HA connection is registered (or the time is up); returns the last count. */
async function waitReady(replica: Replica, want: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let ready = 0;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://${replica.ports.metrics}/ready`);
      ready = ((await res.json()) as { readyConnections?: number }).readyConnections ?? 0;
      if (ready >= want) break;
    } catch {
      // not serving yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return ready;
}

/** One visitor request through a replica's edge listener; fetch() cannot set Host, so node:http is used. */
function probe(edge: string, host: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request(`http://${edge}/`, { headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(String(res.statusCode));
      });
    });
    req.on('error', (error) => {
      resolve(`failed (${error.message})`);
    });
    req.end();
  });
}

function describe(stack: DemoStack): string {
  const token = `$(cat ${stack.apiTokenFile})`;
  let out = `Cloudflare API emulator  ${stack.api.url}   (API token in ${stack.apiTokenFile})\n`;
  out += `  tunnel status:  curl -s -H "Authorization: Bearer ${token}" ${stack.api.url}/accounts/${stack.accountId}/cfd_tunnel/${stack.tunnelId}\n`;
  for (const r of stack.replicas) {
    out += `${r.name}  emulated cloudflared, pid ${String(r.child.pid)}\n`;
    out += `  metrics   http://${r.ports.metrics}/metrics    ready: http://${r.ports.metrics}/ready\n`;
    out += `  edge      curl -H 'Host: ${stack.hostnames.http}' http://${r.ports.edge}/\n`;
    out += `  faults    curl -X POST http://${r.ports.control}/faults -d '{"fault":"drop","conn":1,"reason":"goaway"}'\n`;
    out += `  log       ${r.logFile}   (explain it: tunnelwatch analyze ${r.logFile})\n`;
  }
  out += `origins\n`;
  out += `  ${stack.hostnames.http.padEnd(20)} -> http://${stack.origins.http}  (HTTP)\n`;
  out += `  ${stack.hostnames.ssh.padEnd(20)} -> ssh://${stack.origins.tcp}  (SSH banner)\n`;
  out += `  ${stack.hostnames.dead.padEnd(20)} -> http://${stack.origins.dead}  (nothing listens: visitors get 502)\n`;
  return out;
}

async function check(stack: DemoStack): Promise<string> {
  let out = '\nchecks\n';
  for (const r of stack.replicas) out += `  ${r.name} /ready: ${String(await waitReady(r, 4, 15_000))} of 4 connections registered\n`;
  const cf = new Cloudflare({ apiToken: readFileSync(stack.apiTokenFile, 'utf8'), baseURL: stack.api.url, maxRetries: 0 });
  const tunnel = await cf.zeroTrust.tunnels.cloudflared.get(stack.tunnelId, { account_id: stack.accountId });
  const connectors = await cf.zeroTrust.tunnels.cloudflared.connections.get(stack.tunnelId, { account_id: stack.accountId });
  out += `  API (through the cloudflare SDK): tunnel ${tunnel.name ?? '?'} is ${tunnel.status ?? '?'}, ${String(connectors.result.length)} connectors\n`;
  const first = stack.replicas[0];
  if (first) {
    for (const host of [stack.hostnames.http, stack.hostnames.dead, 'unknown.demo.example']) {
      out += `  GET https://${host}/ via ${first.name}: ${await probe(first.ports.edge, host)}\n`;
    }
  }
  return out;
}

export async function demoCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs(
    args,
    { for: { type: 'string' }, 'time-scale': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const forMs = parsed.values.for === undefined ? undefined : parseGoDuration(parsed.values.for);
  const scale = parsed.values['time-scale'] === undefined ? undefined : Number(parsed.values['time-scale']);
  if (parsed.values.for !== undefined && (forMs === undefined || forMs < 0)) {
    await write(io.stderr, `tunnelwatch demo: --for expects a duration such as 30s, got ${JSON.stringify(parsed.values.for)}\n`);
    return EXIT.usage;
  }
  if (scale !== undefined && !(scale > 0)) {
    await write(io.stderr, `tunnelwatch demo: --time-scale expects a positive number, got ${JSON.stringify(parsed.values['time-scale'])}\n`);
    return EXIT.usage;
  }
  await write(io.stdout, 'tunnelwatch demo: an emulated Cloudflare Tunnel on loopback (no real cloudflared, token or network needed)\n\n');
  let stack: DemoStack;
  try {
    stack = await startDemoStack(scale === undefined ? {} : { timeScale: scale });
  } catch (error) {
    await write(io.stderr, `tunnelwatch demo: cannot start the emulated tunnel: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  try {
    await write(io.stdout, describe(stack));
    await write(io.stdout, await check(stack));
    await write(io.stdout, forMs === undefined ? '\nRunning; press Ctrl-C to stop.\n' : `\nRunning for ${parsed.values.for ?? ''}.\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        clearTimeout(timer);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      const timer = forMs === undefined ? undefined : setTimeout(stop, forMs);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
  } finally {
    await stack.stop();
  }
  await write(io.stdout, 'Stopped: replicas shut down gracefully.\n');
  return EXIT.ok;
}
