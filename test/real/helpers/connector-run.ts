// One connector process (the real cloudflared or the emulator, the same command line) as the differential test
// sees it: every stderr line parsed with tunnelwatch's own parser, stdout kept, the exit status and how long it
// took. Waits are on lines and on the exit, each with a deadline; stop() kills only this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LogEvent } from '../../../src/cloudflared/log/event.js';
import { parseLogLine } from '../../../src/cloudflared/log/line.js';

export const EMULATOR_BIN = fileURLToPath(new URL('../../../bin/cloudflared-emulator', import.meta.url));

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From spawn to exit. */
  readonly ms: number;
}

export class ConnectorRun {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly events: LogEvent[] = [];
  stdout = '';
  readonly exited: Promise<Exit>;
  readonly #waiters = new Set<() => void>();
  #partial = '';
  #exit: Exit | undefined;

  /** `command` is the executable and its leading arguments (`[node, bin/cloudflared-emulator]` for the emulator). */
  constructor(command: readonly string[], args: readonly string[], env: Readonly<Record<string, string>>) {
    const [file = '', ...lead] = command;
    const started = Date.now();
    this.child = spawn(file, [...lead, ...args], { env: { ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (chunk: Buffer) => { this.#onData(chunk.toString('utf8')); });
    this.child.stdout?.on('data', (chunk: Buffer) => { this.stdout += chunk.toString('utf8'); });
    // 'close' rather than 'exit': the last stderr lines are read by then.
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        if (this.#partial !== '') this.#onData('\n');
        this.#exit = { code, signal, ms: Date.now() - started };
        this.#notify();
        resolve(this.#exit);
      });
    });
  }

  get hasExited(): boolean {
    return this.#exit !== undefined;
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
    for (const waiter of this.#waiters) waiter();
  }

  /** Resolves with `check`'s first defined value, re-checked on every line; fails after `timeoutMs` or on exit. */
  until<T>(check: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise<T>((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        reject(new Error(`${why} waiting for ${what}; stderr so far:\n${this.lines.slice(-60).join('\n')}`));
      };
      const timer = setTimeout(() => { fail(`timed out after ${String(timeoutMs)} ms`); }, timeoutMs);
      const waiter = (): void => {
        const value = check();
        if (value !== undefined) {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(value);
        } else if (this.#exit !== undefined) {
          fail(`the process exited (${String(this.#exit.code ?? this.#exit.signal)})`);
        }
      };
      this.#waiters.add(waiter);
    });
  }

  /** The events from index `from` on matching `match`, once there are `count` of them. */
  eventsFrom(from: number, match: (e: LogEvent) => boolean, count: number, what: string, timeoutMs: number): Promise<LogEvent[]> {
    return this.until(() => {
      const hits = this.events.slice(from).filter(match);
      return hits.length >= count ? hits : undefined;
    }, what, timeoutMs);
  }

  /** The exit, or SIGKILL and a failure after `timeoutMs`. */
  async exit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`the connector did not exit within ${String(timeoutMs)} ms; stderr:\n${this.lines.slice(-60).join('\n')}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL if still running (cleanup after a failure). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
