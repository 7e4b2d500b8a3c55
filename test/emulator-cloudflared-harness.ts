// Test harness for the emulated cloudflared: spawns bin/cloudflared-emulator (the built dist/ code) with a
// compressed clock, collects stderr as parsed log events, and waits on events — a log line, the ports
// file, /ready changing — never on fixed sleeps.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import type { LogEvent } from '../src/cloudflared/log/event.js';
import { encodeTunnelToken } from '../src/cloudflared/token.js';

export const EMULATOR_BIN = fileURLToPath(new URL('../bin/cloudflared-emulator', import.meta.url));
export const TUNNEL_ID = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
export const ACCOUNT_TAG = '0123456789abcdef0123456789abcdef';
export const TOKEN = encodeTunnelToken({ accountTag: ACCOUNT_TAG, tunnelId: TUNNEL_ID, secret: Buffer.alloc(32, 7) });

/** Messages of lifecycle lines: each must parse to a typed event, never `other`. */
const LIFECYCLE_PREFIXES = [
  'Starting tunnel', 'Version ', 'Generated Connector ID: ', 'Initial protocol ', 'Starting metrics server on ',
  'Registered tunnel connection', 'Unregistered tunnel connection', 'Lost connection with the edge', 'Serve tunnel error',
  'failed to serve tunnel connection', 'failed to accept incoming stream requests', 'Failed to dial a quic connection',
  'Unable to establish connection', 'Register tunnel error from server side', 'Retrying connection in up to ',
  'Connection terminated', 'Switching to fallback protocol ', 'Updated to new configuration', 'Failed to update ingress',
  'Initiating graceful shutdown due to signal ', 'Initiating shutdown', 'no more connections active and exiting',
  'Tunnel server stopped', "Couldn't start tunnel", 'initial tunnel connection failed',
];

/** Lines that look like lifecycle lines but parsed as `other` (should be none). */
export function untypedLifecycle(events: readonly LogEvent[]): LogEvent[] {
  return events.filter((e) => e.type === 'other' && e.format !== 'plain' && LIFECYCLE_PREFIXES.some((p) => e.message.startsWith(p)));
}

export interface Ports {
  readonly metrics: string;
  readonly edge?: string;
  readonly control?: string;
}

export interface StartOptions {
  /** Arguments after `cloudflared` (`{dir}` is the per-process temp dir); default: `tunnel --no-autoupdate --metrics 127.0.0.1:0 run`. */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** CFEMU_TIME_SCALE; default 0.01. */
  readonly scale?: number;
  /** Set TUNNEL_TOKEN (default true). */
  readonly token?: boolean;
}

export class Emulated {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly lines: string[] = [];
  readonly events: LogEvent[] = [];
  stdout = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #waiters = new Set<() => void>();
  #partial = '';

  private constructor(options: StartOptions) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'cfemu-test-'));
    const args = (options.args ?? ['tunnel', '--no-autoupdate', '--metrics', '127.0.0.1:0', 'run']).map((a) => a.replaceAll('{dir}', this.dir));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: this.dir,
      CFEMU_TIME_SCALE: String(options.scale ?? 0.01),
      CFEMU_SEED: 'tests',
      CFEMU_PORTS_FILE: path.join(this.dir, 'ports.json'),
      CFEMU_CONTROL: '127.0.0.1:0',
      ...(options.token === false ? {} : { TUNNEL_TOKEN: TOKEN }),
      ...Object.fromEntries(Object.entries(options.env ?? {}).map(([k, v]) => [k, v.replaceAll('{dir}', this.dir)])),
    };
    this.child = spawn(process.execPath, [EMULATOR_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (chunk: Buffer) => { this.#onData(chunk.toString('utf8')); });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString('utf8');
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.#notify();
      resolve({ code, signal });
    }));
  }

  static start(options: StartOptions = {}): Emulated {
    return new Emulated(options);
  }

  #onData(text: string): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      this.events.push(parseLogLine(line));
    }
    this.#notify();
  }

  #notify(): void {
    for (const w of this.#waiters) w();
  }

  /** Resolves when `check` returns a value, re-checking on every new line (and on exit). */
  async until<T>(check: () => T | undefined, what: string, timeoutMs = 8000): Promise<T> {
    const first = check();
    if (first !== undefined) return first;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}; stderr so far:\n${this.lines.join('\n')}`));
      }, timeoutMs);
      const waiter = (): void => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(value);
      };
      this.#waiters.add(waiter);
    });
  }

  /** The n-th (1-based) event matching `match`, waiting for it to be logged. */
  waitFor(match: (e: LogEvent) => boolean, what: string, n = 1, timeoutMs?: number): Promise<LogEvent> {
    return this.until(() => this.events.filter(match)[n - 1], what, timeoutMs);
  }

  count(match: (e: LogEvent) => boolean): number {
    return this.events.filter(match).length;
  }

  /** The ports file, once written. */
  async ports(): Promise<Ports> {
    const file = path.join(this.dir, 'ports.json');
    await this.waitFor((e) => e.type === 'metrics_server', 'Starting metrics server');
    for (let i = 0; i < 200; i++) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Ports;
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    throw new Error('ports file never written');
  }

  async get(route: string, init?: RequestInit): Promise<Response> {
    const { metrics } = await this.ports();
    return fetch(`http://${metrics}${route}`, init);
  }

  async ready(): Promise<{ status: number; body: { status: number; readyConnections: number; connectorId: string } }> {
    const res = await this.get('/ready');
    return { status: res.status, body: (await res.json()) as { status: number; readyConnections: number; connectorId: string } };
  }

  /** Polls /ready until `accept` holds. */
  async readyUntil(accept: (r: { status: number; body: { readyConnections: number } }) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 8000;
    for (;;) {
      const r = await this.ready();
      if (accept(r)) return;
      if (Date.now() > deadline) throw new Error(`/ready never reached ${what}: ${JSON.stringify(r)}`);
      await new Promise((res) => setTimeout(res, 15));
    }
  }

  async metrics(): Promise<string> {
    return (await this.get('/metrics')).text();
  }

  async control(route: string, body?: unknown): Promise<Response> {
    const { control } = await this.ports();
    return fetch(`http://${control ?? ''}${route}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  }

  async fault(body: unknown): Promise<void> {
    const res = await this.control('/faults', body);
    if (res.status !== 200) throw new Error(`fault rejected: ${await res.text()}`);
  }

  async state(): Promise<Record<string, unknown>> {
    return (await (await this.control('/state')).json()) as Record<string, unknown>;
  }

  registered(): LogEvent[] {
    return this.events.filter((e) => e.type === 'registered');
  }

  /** Kills the process if needed, removes its temp dir, and fails on lifecycle lines that parsed as `other`. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
    const untyped = untypedLifecycle(this.events);
    if (untyped.length > 0) throw new Error(`lifecycle lines parsed as other:\n${untyped.map((e) => e.message).join('\n')}`);
  }
}

/** A start function for one test file: every emulator it starts is stopped (and checked) after each test. */
export function trackedEmulators(): (options?: StartOptions) => Emulated {
  const running: Emulated[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.stop()));
  });
  return (options) => {
    const e = Emulated.start(options);
    running.push(e);
    return e;
  };
}

export const isType = (type: LogEvent['type']) => (e: LogEvent): boolean => e.type === type;
export const registeredOn = (index: number) => (e: LogEvent): boolean => e.type === 'registered' && e.connIndex === index;
export const message = (text: string) => (e: LogEvent): boolean => e.message === text;

/** Fails unless each predicate matches an event, in this order, from event `from` on. */
export function expectInOrder(events: readonly LogEvent[], predicates: readonly ((e: LogEvent) => boolean)[], from = 0): void {
  let at = from;
  for (const [i, p] of predicates.entries()) {
    const found = events.findIndex((e, j) => j >= at && p(e));
    expect(found, `step ${String(i)} not found after event ${String(at)}`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}
