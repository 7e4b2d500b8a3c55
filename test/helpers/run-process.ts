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
import { afterAll, afterEach, beforeAll } from 'vitest';
import { BIN, launchEnv, launchNodeFlags } from '../../bench/launcher.js';
import { StuckReport } from './stuck-report.js';

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

/** One `tunnelwatch run --cloudflared <connector>` process (the emulator unless a binary is named) and everything it printed so far. */
export class TunnelwatchRun {
  readonly child: ChildProcess;
  /** Where it was stuck, asked for when a stop overstays. */
  readonly report = new StuckReport();
  readonly records: Rec[] = [];
  readonly badLines: string[] = [];
  stdout = '';
  stderr = '';
  /** Resolves when the process exited and its stdout and stderr were read to the end. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #waiters = new Set<() => void>();
  #partial = '';

  constructor(env: Readonly<Record<string, string>>, args: readonly string[], connector = 'emulator') {
    this.child = spawn(process.execPath, [...launchNodeFlags(), ...this.report.nodeArgs, BIN, 'run', '--cloudflared', connector, ...args], {
      env: { PATH: process.env.PATH ?? '', ...launchEnv(), ...env },
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

  /**
   * A registered connection and the tunnel's configuration from the edge applied: until it arrives the connector
   * answers every request with its default rule's 503, as cloudflared does.
   */
  async serving(): Promise<void> {
    await this.registered();
    await this.until(() => this.records.find((r) => r.source === 'cloudflared' && r.event === 'config_updated'), 'the configuration from the edge applied');
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

export interface SharedOptions {
  readonly args?: readonly string[];
  readonly start?: 'collect' | 'beforeAll';
}

export interface Processes {
  /** A tunnelwatch run of `connector` (a cloudflared binary, or the emulator by default), stopped after the test. */
  run(env: Readonly<Record<string, string>>, args?: readonly string[], connector?: string): TunnelwatchRun;
  /**
   * One tunnelwatch (baseEnv plus `extra`, given the run's own temp dir) for the enclosing describe; call it
   * while the describe collects. It starts at once (every such run of the file boots together) or, with
   * `start: 'beforeAll'`, alone before the describe's first test — for runs whose watches are sensitive to a
   * slow boot. It is stopped and checked after the describe's last test; after each test, every connector a
   * restart replaced must be gone. Returns the run (throws before it started).
   */
  shared(extra: Readonly<Record<string, string>> | ((dir: string) => Readonly<Record<string, string>>), options?: SharedOptions): () => TunnelwatchRun;
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
    run.report.remove();
    return undefined;
  }
  run.child.kill('SIGTERM');
  let stuck: string | undefined;
  const timer = setTimeout(() => {
    void run.report.take(run.pid).then((summary) => {
      stuck = summary;
      run.child.kill('SIGKILL');
    });
  }, graceMs);
  const how = await run.closed;
  clearTimeout(timer);
  run.report.remove();
  if (how.signal !== 'SIGKILL') return undefined;
  const own = run.records.filter((r) => r.source === 'tunnelwatch').slice(-15).map((r) => `  ${String(r.level)} ${String(r.msg)}`);
  return [`tunnelwatch pid ${String(run.pid)} ignored SIGTERM for ${String(graceMs)} ms`, stuck ?? '', 'its last own records:', ...own].join('\n');
}

/** Stops `run` like an operator would, then lists what survived: tunnelwatch itself or any connector it started. */
async function stopAndCheck(run: TunnelwatchRun, dirs: string[]): Promise<string[]> {
  const problems: string[] = [];
  const problem = await stopRun(run, 20_000);
  if (problem !== undefined) problems.push(problem);
  if (!isGone(run.pid)) problems.push(`tunnelwatch pid ${String(run.pid)} still alive`);
  problems.push(...(await orphans(run, run.connectorPids())));
  const ports = /connector addresses in (\S+)\n/.exec(run.stderr)?.[1];
  if (ports !== undefined) dirs.push(dirname(ports));
  return problems;
}

/** The connectors among `pids` still alive 5 s from now (each is killed, so nothing leaks). */
async function orphans(run: TunnelwatchRun, pids: readonly number[]): Promise<string[]> {
  const problems: string[] = [];
  for (const pid of pids) {
    const gone = await poll(() => (isGone(pid) ? true : undefined), `connector ${String(pid)} to exit`, 5000).catch(() => false);
    if (!gone) {
      problems.push(`orphan: connector pid ${String(pid)} started by tunnelwatch ${String(run.pid)} is still alive`);
      process.kill(pid, 'SIGKILL');
    }
  }
  return problems;
}

const DEFAULT_ARGS = ['--time-scale', '0.05'];

/**
 * Starts processes for one test file and, after each test, stops them: every tunnelwatch gets SIGTERM (its
 * normal stop), then the test fails if that tunnelwatch or any connector it ever started is still alive.
 */
export function trackedProcesses(): Processes {
  const runs: TunnelwatchRun[] = [];
  /** Shared runs still to stop, with their temp dirs (kept past the per-test clean-up). */
  const sharedRuns = new Map<TunnelwatchRun, string>();
  const fakes: ChildProcess[] = [];
  const dirs: string[] = [];
  const cleanUp = (): void => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  };
  afterEach(async () => {
    const problems: string[] = [];
    for (const run of runs.splice(0)) problems.push(...(await stopAndCheck(run, dirs)));
    for (const fake of fakes.splice(0)) fake.kill('SIGKILL');
    cleanUp();
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });
  // A describe skipped by a filter never runs its afterAll: whatever shared run is left is stopped here.
  afterAll(async () => {
    for (const [run, dir] of sharedRuns) {
      await stopAndCheck(run, dirs);
      dirs.push(dir);
    }
    sharedRuns.clear();
    cleanUp();
  });
  return {
    run: (env, args = DEFAULT_ARGS, connector = 'emulator') => {
      const run = new TunnelwatchRun(env, args, connector);
      runs.push(run);
      return run;
    },
    shared: (extra, options = {}) => {
      let run: TunnelwatchRun | undefined;
      const start = (): void => {
        const dir = mkdtempSync(join(tmpdir(), 'tw-e2e-shared-'));
        run = new TunnelwatchRun(baseEnv(dir, typeof extra === 'function' ? extra(dir) : extra), options.args ?? DEFAULT_ARGS);
        sharedRuns.set(run, dir);
      };
      if (options.start === 'beforeAll') beforeAll(start);
      else start();
      afterEach(async () => {
        if (run === undefined) return;
        // The connectors a restart replaced must be gone by now; the current one runs on for the next test.
        const replaced = run.running ? run.connectorPids().slice(0, -1) : run.connectorPids();
        const problems = await orphans(run, replaced);
        if (problems.length > 0) throw new Error(problems.join('\n'));
      });
      afterAll(async () => {
        const dir = run === undefined ? undefined : sharedRuns.get(run);
        if (run === undefined || dir === undefined) return;
        sharedRuns.delete(run);
        const problems = await stopAndCheck(run, dirs);
        dirs.push(dir);
        cleanUp();
        if (problems.length > 0) throw new Error(problems.join('\n'));
      });
      return () => {
        if (run === undefined) throw new Error('the shared tunnelwatch run has not started yet (start: beforeAll runs it before the describe\'s first test)');
        return run;
      };
    },
    fakeLoki: (port = 0) => startFakeLoki(port, (p) => fakes.push(p)),
    tempDir: (prefix) => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
}

/** The settings every e2e run shares: no fixed ports, a short grace period, the spool in `spoolDir`. */
export function baseEnv(spoolDir: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    TUNNELWATCH_LOGS_SPOOL_DIR: spoolDir,
    TUNNELWATCH_SERVER_LISTEN: '127.0.0.1:0',
    TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0',
    TUNNELWATCH_CLOUDFLARED_GRACE_PERIOD: '2s',
    ...extra,
  };
}

/**
 * baseEnv with Loki at `lokiUrl`, and repeats not collapsed: these runs follow each origin-error line by its Ray id
 * through the sinks (collapsing has tests of its own).
 */
export function runEnv(spoolDir: string, lokiUrl: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return baseEnv(spoolDir, { TUNNELWATCH_LOGS_LOKI_URL: lokiUrl, TUNNELWATCH_LOGS_REPEATS_WINDOW: '0s', ...extra });
}
