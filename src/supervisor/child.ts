// One cloudflared process: spawned with piped stdout/stderr that are always read (a full pipe would block
// cloudflared's logging), split into lines, and stopped the way cloudflared expects (§6): one SIGTERM, a
// grace period, then SIGKILL. A second SIGTERM is never sent: cloudflared would die at once without draining.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Command } from './command.js';
import { LineSplitter, type Line } from './line-splitter.js';

export interface ChildLine {
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
  readonly truncated: boolean;
  /** Of a truncated line, its last bytes (see LineSplitter). */
  readonly tail?: string;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** tunnelwatch SIGKILLed it: it outlived the grace period of stop(), or kill() was called (a hang). */
  readonly killed: boolean;
  /** From spawn to exit. */
  readonly durationMs: number;
  /** Set when the process could not be started at all (code and signal are then null). */
  readonly spawnError?: string;
}

export interface ChildOptions {
  readonly maxLineBytes: number;
  readonly onLine: (line: ChildLine) => void;
  /** Milliseconds clock; default performance.now. */
  readonly now?: () => number;
}

export class Child {
  readonly #process: ChildProcess;
  readonly #now: () => number;
  readonly #startedAt: number;
  /** Resolves once the process has exited and both pipes are drained (every line delivered). */
  readonly exited: Promise<ChildExit>;
  #alive = true;
  #termSent = false;
  #killed = false;
  #stopping: Promise<ChildExit> | undefined;

  constructor(command: Command, options: ChildOptions) {
    this.#now = options.now ?? (() => performance.now());
    this.#startedAt = this.#now();
    this.#process = spawn(command.file, [...command.args], {
      env: { ...command.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: false,
      windowsHide: true,
    });
    const { stdout, stderr } = this.#process;
    const drained = Promise.all([
      stdout === null ? Promise.resolve() : read(stdout, 'stdout', options),
      stderr === null ? Promise.resolve() : read(stderr, 'stderr', options),
    ]);
    this.exited = new Promise<ChildExit>((resolve) => {
      this.#process.on('error', (error) => {
        // A failed spawn emits 'error' and no 'exit'; a failed kill() also emits 'error' but the process lives on.
        if (this.#process.pid !== undefined) return;
        this.#alive = false;
        resolve({ code: null, signal: null, killed: false, durationMs: this.#now() - this.#startedAt, spawnError: error.message });
      });
      this.#process.once('exit', (code, signal) => {
        this.#alive = false;
        const info: ChildExit = { code, signal, killed: this.#killed, durationMs: this.#now() - this.#startedAt };
        void drained.then(() => { resolve(info); });
      });
    });
  }

  /** The OS pid (undefined when the spawn failed). */
  get pid(): number | undefined {
    return this.#process.pid;
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** SIGTERM once, SIGKILL if still alive after `graceMs`; resolves with how it ended. Idempotent. */
  stop(graceMs: number): Promise<ChildExit> {
    if (this.#stopping !== undefined) return this.#stopping;
    if (!this.#alive) return (this.#stopping = this.exited);
    this.#termSent = true;
    this.#process.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.kill();
    }, graceMs);
    this.#stopping = this.exited.finally(() => { clearTimeout(timer); });
    return this.#stopping;
  }

  /** SIGKILL now (no-op once exited). */
  kill(): void {
    if (!this.#alive) return;
    this.#killed = true;
    this.#process.kill('SIGKILL');
  }

  /**
   * Stops (true) or restarts (false) reading cloudflared's output, for backpressure: unread output fills the
   * pipes and then blocks cloudflared's log writes, which is how a slow log consumer always worked.
   */
  pauseOutput(paused: boolean): void {
    for (const stream of [this.#process.stdout, this.#process.stderr]) {
      if (paused) stream?.pause();
      else stream?.resume();
    }
  }

  /** Whether stop() has sent its SIGTERM. */
  get terminating(): boolean {
    return this.#termSent;
  }
}

function read(stream: Readable, name: ChildLine['stream'], options: ChildOptions): Promise<void> {
  const splitter = new LineSplitter(options.maxLineBytes);
  const deliver = (lines: readonly Line[]): void => {
    for (const l of lines) options.onLine({ stream: name, line: l.line, truncated: l.truncated, ...(l.tail === undefined ? {} : { tail: l.tail }) });
  };
  return new Promise((resolve) => {
    // A 'data' listener keeps the pipe flowing; lines are handed over synchronously, never queued here.
    stream.on('data', (chunk: Buffer) => { deliver(splitter.push(chunk)); });
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      deliver(splitter.end());
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', done);
  });
}
