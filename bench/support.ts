// Shared pieces of the health-side benchmarks: percentiles, /proc readings of another process, a farm of
// local HTTP origins in a child process, and `tunnelwatch run --cloudflared emulator` as a child with the
// addresses it announces. Not a benchmark itself (npm run bench only runs *.bench.js).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BIN, launchEnv, launchNodeFlags } from './launcher.js';

/** The repository root, from dist/bench/support.js as from bench/support.ts. */
export const ROOT = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of `values` (0 < p <= 100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export const mean = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

/** Kernel clock ticks per second, the unit of utime/stime in /proc/<pid>/stat. */
export function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** A size field of /proc/<pid>/status in bytes. */
function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** Resident set size of a process in bytes (VmRSS). */
export const rssBytes = (pid: number): number => statusBytes(pid, 'VmRSS');

/** The peak of its resident set size in bytes (VmHWM). */
export const peakRssBytes = (pid: number): number => statusBytes(pid, 'VmHWM');

export async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    // Cleared on exit: a pending timer would keep the bench process alive after its work is done.
    const timer = setTimeout(() => { resolve(false); }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM, then SIGKILL when the process has not left after `graceMs`. */
export async function terminate(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitForExit(child, graceMs))) {
    child.kill('SIGKILL');
    await waitForExit(child, 2000);
  }
}

// One http.Server answers every port: plain net listeners hand their connections to it.
const FARM = `
const http = require('node:http'), net = require('node:net');
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok\\n'); });
server.keepAliveTimeout = 1000;
const count = Number(process.argv[1]);
const ports = [];
let pending = count;
for (let i = 0; i < count; i++) {
  const listener = net.createServer((socket) => server.emit('connection', socket));
  listener.listen(0, '127.0.0.1', () => {
    ports[i] = listener.address().port;
    if (--pending === 0) process.stdout.write(JSON.stringify(ports) + '\\n');
  });
}`;

export interface OriginFarm {
  readonly ports: readonly number[];
  readonly pid: number;
  stop(): Promise<void>;
}

/** `count` HTTP origins answering 200 on 127.0.0.1, served by a child process so their CPU is not ours. */
export async function startOriginFarm(count: number): Promise<OriginFarm> {
  const child = spawn(process.execPath, ['-e', FARM, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => { reject(new Error(`the origin farm exited (${String(code)}) before listening`)); });
  });
  lines.close();
  return { ports: JSON.parse(first) as number[], pid: child.pid ?? 0, stop: () => terminate(child, 2000) };
}

/** Where the emulated cloudflared serves (its CFEMU_PORTS_FILE). */
export interface ConnectorPorts {
  readonly metrics: string;
  readonly edge: string;
  readonly control: string;
}

export interface Tunnelwatch {
  readonly child: ChildProcess;
  /** host:port of /metrics, /status. */
  readonly address: string;
  readonly connectorPid: number;
  readonly connector: ConnectorPorts;
  stop(): Promise<number | null>;
}

/** Starts `tunnelwatch run --cloudflared emulator` and resolves once the server and the connector's ports are known. */
export async function startTunnelwatch(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  {
    nodeArgs = [],
    timeoutMs = 20_000,
    portsFile: givenPortsFile,
  }: {
    readonly nodeArgs?: readonly string[];
    readonly timeoutMs?: number;
    /** The connector's CFEMU_PORTS_FILE when the env sets it (with a token, tunnelwatch does not announce one). */
    readonly portsFile?: string;
  } = {},
): Promise<Tunnelwatch> {
  const child = spawn(process.execPath, [...launchNodeFlags(), ...nodeArgs, BIN, 'run', '--cloudflared', 'emulator', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...launchEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let address: string | undefined;
  let connectorPid: number | undefined;
  let portsFile = givenPortsFile;
  let stderr = '';
  // Only the two start-up records are parsed: the rest of tunnelwatch's stdout is drained unread.
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.includes('"serving /metrics') && !line.includes('"cloudflared started (pid')) return;
    const record = JSON.parse(line) as { msg?: string; address?: string };
    const msg = record.msg ?? '';
    if (msg.startsWith('serving /metrics')) address = record.address;
    const started = /^cloudflared started \(pid (\d+)/.exec(msg);
    if (started) connectorPid = Number(started[1]);
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr += `${line}\n`;
    const match = /connector addresses in (\S+)/.exec(line);
    if (match) portsFile = match[1];
  });
  const deadline = Date.now() + timeoutMs;
  let connector: ConnectorPorts | undefined;
  while (connector === undefined || address === undefined || connectorPid === undefined) {
    if (child.exitCode !== null) throw new Error(`tunnelwatch run exited (${String(child.exitCode)}) during start-up:\n${stderr}`);
    if (Date.now() > deadline) {
      await terminate(child);
      throw new Error(`tunnelwatch run did not announce its addresses within ${String(timeoutMs)} ms:\n${stderr}`);
    }
    if (portsFile !== undefined && connector === undefined) {
      try {
        connector = JSON.parse(readFileSync(portsFile, 'utf8')) as ConnectorPorts;
      } catch {
        // The emulator writes the file once it listens; until then it is absent or partial.
      }
    }
    await sleep(20);
  }
  return {
    child,
    address,
    connectorPid,
    connector,
    stop: async () => {
      await terminate(child, 15_000);
      return child.exitCode;
    },
  };
}

export interface ApiProcess {
  readonly child: ChildProcess;
  /** Base URL for the SDK, ending in /client/v4 (TUNNELWATCH_EDGE_BASE_URL). */
  readonly url: string;
  /** Scheme, host and port (CFEMU_API). */
  readonly origin: string;
  stop(): Promise<void>;
}

/** `tunnelwatch emulate api --state <seedFile>` as its own process; resolves once it printed where it listens. */
export async function startApiProcess(seedFile: string): Promise<ApiProcess> {
  const child = spawn(process.execPath, [...launchNodeFlags(), BIN, 'emulate', 'api', '--state', seedFile], { cwd: ROOT, env: { ...process.env, ...launchEnv() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => { reject(new Error(`tunnelwatch emulate api exited (${String(code)}) before listening: ${stderr}`)); });
  });
  lines.close();
  // Drained so a chatty emulator could never block on a full pipe.
  child.stdout.resume();
  const { url, origin } = JSON.parse(first) as { url: string; origin: string };
  return { child, url, origin, stop: () => terminate(child, 5000) };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP exchange on a shared keep-alive agent (cheaper per call than fetch, so polls are tight). */
export function httpRequest(method: 'GET' | 'POST', url: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }); });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Closes the idle keep-alive sockets so the bench process can exit. */
export function closeHttp(): void {
  agent.destroy();
}
