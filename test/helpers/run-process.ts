// Child processes for the end-to-end tests of `tunnelwatch run`: the built bin with the emulated world, and
// the fake Loki (test/servers/fake-loki.ts) in its own process. Every wait is on an event (a line, a file,
// an exit) with a deadline. After each test every process is stopped and checked: tunnelwatch and each
// connector it started must be gone, or the test fails (and the survivor is killed so nothing leaks).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/tunnelwatch', import.meta.url));
const FAKE_LOKI = fileURLToPath(new URL('../servers/fake-loki.ts', import.meta.url));

export type Rec = Record<string, unknown> & { readonly fields?: Record<string, unknown> };

export interface Ports {
  readonly metrics: string;
  readonly edge: string;
  readonly control: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 20 ms until it returns a value; throws `what` after `timeoutMs`. */
export async function poll<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A process is gone once /proc no longer lists it, or it is a zombie nobody reaped (it runs no code). */
export function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The cfRay of a cloudflared origin-error record (the message-less ERR line), else undefined. */
export function cfRay(record: Rec): string | undefined {
  const ray = record.fields?.cfRay;
  return record.source === 'cloudflared' && typeof ray === 'string' ? ray : undefined;
}

/** One `tunnelwatch run --cloudflared emulator` process and everything it printed so far. */
export class TunnelwatchRun {
  readonly child: ChildProcess;
  readonly records: Rec[] = [];
  readonly badLines: string[] = [];
  stdout = '';
  stderr = '';
  /** Resolves when the process exited and its stdout and stderr were read to the end. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #waiters = new Set<() => void>();
  #partial = '';

  constructor(env: Readonly<Record<string, string>>, args: readonly string[]) {
    this.child = spawn(process.execPath, [BIN, 'run', '--cloudflared', 'emulator', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => { this.#onStdout(chunk.toString('utf8')); });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
      this.#notify();
    });
    this.closed = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        this.#notify();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('tunnelwatch did not start');
    return pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  #onStdout(text: string): void {
    this.stdout += text;
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) {
      try {
        this.records.push(JSON.parse(line) as Rec);
      } catch {
        this.badLines.push(line);
      }
    }
    this.#notify();
  }

  #notify(): void {
    for (const w of this.#waiters) w();
  }

  /** Resolves when `check` returns a value, re-checked on every line and on exit. */
  until<T>(check: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}; stderr:\n${this.stderr}\nlast stdout records:\n${this.records.slice(-10).map((r) => JSON.stringify(r)).join('\n')}`));
      }, timeoutMs);
      const waiter = (): void => {
        const value = check();
        if (value === undefined && this.running) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        if (value === undefined) reject(new Error(`tunnelwatch exited while waiting for ${what}; stderr:\n${this.stderr}`));
        else resolve(value);
      };
      this.#waiters.add(waiter);
    });
  }

  /** The ports file named on stderr by the emulated world. */
  portsFile(): Promise<string> {
    return this.until(() => /connector addresses in (\S+)\n/.exec(this.stderr)?.[1], 'the emulated-world line on stderr');
  }

  /** The emulated connector's addresses, once it serves. */
  async ports(): Promise<Ports> {
    const file = await this.portsFile();
    return poll(() => {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Ports;
      } catch {
        return undefined;
      }
    }, `the ports file ${file}`);
  }

  /** Pids from every `cloudflared started (pid N ...)` record so far. */
  connectorPids(): number[] {
    return this.records.flatMap((r) => (r.source === 'tunnelwatch' && typeof r.msg === 'string' && r.msg.startsWith('cloudflared started (pid ') && typeof r.pid === 'number' ? [r.pid] : []));
  }

  /** The first connector's pid, once started. */
  connectorPid(): Promise<number> {
    return this.until(() => this.connectorPids()[0], 'cloudflared started');
  }

  /** Waits until the connector registered a tunnel connection (the edge only routes visitors then). */
  async registered(): Promise<void> {
    await this.until(() => this.records.find((r) => r.source === 'cloudflared' && r.event === 'registered'), 'a registered connection');
  }

  /** cfRays of the origin-error records on stdout, in stdout order. */
  rays(): string[] {
    return this.records.flatMap((r) => cfRay(r) ?? []);
  }
}

/** The fake Loki push receiver in its own process. */
export interface FakeLoki {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly base: string;
  post(path: '/script' | '/reject', body: string): Promise<void>;
  received(): Promise<{ stream: Record<string, string>; values: [string, string][] }[]>;
  requests(): Promise<{ status: number; authorization: string | null; tenant: string | null; time: number }[]>;
}

/** A GET through the emulated edge as a visitor asking for `host`; resolves with the status. */
export function visit(edge: string, host: string, path = '/'): Promise<number> {
  const at = edge.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = request({ host: edge.slice(0, at), port: Number(edge.slice(at + 1)), path, method: 'GET', headers: { host }, agent: false }, (res) => {
      res.resume();
      res.once('end', () => { resolve(res.statusCode ?? 0); });
    });
    req.once('error', reject);
    req.end();
  });
}

/** `count` visitor requests to the dead origin, one every `intervalMs` (each makes one origin-error line). */
export async function steadyLoad(edge: string, count: number, intervalMs: number, path: (i: number) => string = () => '/'): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = Date.now();
    statuses.push(await visit(edge, 'dead.demo.example', path(i)));
    const wait = intervalMs - (Date.now() - started);
    if (wait > 0) await sleep(wait);
  }
  return statuses;
}

export interface Processes {
  run(env: Readonly<Record<string, string>>, args?: readonly string[]): TunnelwatchRun;
  fakeLoki(port?: number): Promise<FakeLoki>;
  /** A temp dir removed after the test. */
  tempDir(prefix: string): string;
}

async function startFakeLoki(port: number, track: (p: ChildProcess) => void): Promise<FakeLoki> {
  const proc = spawn(process.execPath, ['--import', 'tsx', FAKE_LOKI, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(proc);
  const bound = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => { reject(new Error(`fake Loki exited (${String(code)}) before listening`)); });
    proc.stdout.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
  });
  const base = `http://127.0.0.1:${String(bound)}`;
  const get = async <T>(path: string): Promise<T> => (await fetch(`${base}${path}`)).json() as Promise<T>;
  return {
    proc,
    port: bound,
    base,
    post: async (path, body) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`fake Loki ${path}: HTTP ${String(res.status)}`);
    },
    received: () => get('/received'),
    requests: () => get('/requests'),
  };
}

/** tunnelwatch's stop: SIGTERM, then its own drain; SIGKILL only if it overstays `graceMs`. */
async function stopRun(run: TunnelwatchRun, graceMs: number): Promise<string | undefined> {
  if (!run.running) {
    await run.closed;
    return undefined;
  }
  run.child.kill('SIGTERM');
  const timer = setTimeout(() => run.child.kill('SIGKILL'), graceMs);
  const how = await run.closed;
  clearTimeout(timer);
  return how.signal === 'SIGKILL' ? `tunnelwatch pid ${String(run.pid)} ignored SIGTERM for ${String(graceMs)} ms` : undefined;
}

/**
 * Starts processes for one test file and, after each test, stops them: every tunnelwatch gets SIGTERM (its
 * normal stop), then the test fails if that tunnelwatch or any connector it ever started is still alive.
 */
export function trackedProcesses(): Processes {
  const runs: TunnelwatchRun[] = [];
  const fakes: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    const problems: string[] = [];
    for (const run of runs.splice(0)) {
      const problem = await stopRun(run, 20_000);
      if (problem !== undefined) problems.push(problem);
      if (!isGone(run.pid)) problems.push(`tunnelwatch pid ${String(run.pid)} still alive`);
      for (const pid of run.connectorPids()) {
        const gone = await poll(() => (isGone(pid) ? true : undefined), `connector ${String(pid)} to exit`, 5000).catch(() => false);
        if (!gone) {
          problems.push(`orphan: connector pid ${String(pid)} started by tunnelwatch ${String(run.pid)} is still alive`);
          process.kill(pid, 'SIGKILL');
        }
      }
      const ports = /connector addresses in (\S+)\n/.exec(run.stderr)?.[1];
      if (ports !== undefined) dirs.push(dirname(ports));
    }
    for (const fake of fakes.splice(0)) fake.kill('SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });
  return {
    run: (env, args = ['--time-scale', '0.05']) => {
      const run = new TunnelwatchRun(env, args);
      runs.push(run);
      return run;
    },
    fakeLoki: (port = 0) => startFakeLoki(port, (p) => fakes.push(p)),
    tempDir: (prefix) => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
}

/** The settings every e2e run shares: no fixed ports, a short grace period, the spool and Loki given. */
export function runEnv(spoolDir: string, lokiUrl: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    TUNNELWATCH_LOGS_LOKI_URL: lokiUrl,
    TUNNELWATCH_LOGS_SPOOL_DIR: spoolDir,
    TUNNELWATCH_SERVER_LISTEN: '127.0.0.1:0',
    TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
    TUNNELWATCH_CLOUDFLARED_GRACE_PERIOD: '2s',
    ...extra,
  };
}
