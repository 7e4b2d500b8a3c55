// Attach mode: a cloudflared that tunnelwatch did not start (another container of the pod, a systemd unit). Its
// lines come from its JSON log file (--logfile or --log-directory on a shared volume), followed through rotation
// and truncation from where the last run stopped; its metrics server is at the configured address. Its life is the
// orchestrator's: a restart is a SIGTERM to the pid in `pidFile` when one is given (a shared process namespace),
// and holding it down (fencing) is not possible.
import { readFileSync } from 'node:fs';
import { replaceFileSync } from '../base/index.js';
import type { ChildExit } from './child.js';
import { TypedEmitter } from './emitter.js';
import { LogFollower, type FollowPosition } from './log-follower.js';
import type { RestartReason } from './restart-policy.js';
import type { SupervisorEvents, SupervisorState } from './supervisor.js';

export interface AttachedOptions {
  readonly logFile: string;
  /** Where cloudflared's metrics server listens (its --metrics), as this container reaches it. */
  readonly metricsAddress: string;
  /** A file holding cloudflared's pid, readable because the pod shares its process namespace. */
  readonly pidFile?: string;
  /** With no saved position for this file: read it from its start, or only what is written from now on. */
  readonly from: 'start' | 'end';
  /** Where the read position is kept between runs (in tunnelwatch's state directory). */
  readonly positionFile: string;
  readonly maxLineBytes: number;
  readonly pollMs: number;
}

/** How often the read position is saved: a restart of tunnelwatch re-reads at most this much of the log. */
const SAVE_EVERY_MS = 1000;
/** How long a pid read from `pidFile` is trusted before the file is read again. */
const PID_READ_EVERY_MS = 1000;

export class AttachedConnector extends TypedEmitter<SupervisorEvents> {
  readonly #o: AttachedOptions;
  readonly #follower: LogFollower;
  #state: SupervisorState = 'idle';
  #saver: NodeJS.Timeout | undefined;
  #saved: string | undefined;
  #pidRead: { readonly at: number; readonly pid: number | undefined } | undefined;

  constructor(o: AttachedOptions) {
    super();
    this.#o = o;
    const resume = readPosition(o.positionFile, o.logFile);
    this.#follower = new LogFollower({
      file: o.logFile,
      from: o.from,
      ...(resume === undefined ? {} : { resume }),
      pollMs: o.pollMs,
      maxLineBytes: o.maxLineBytes,
      onLine: (line) => { this.emit('line', { stream: 'stderr', ...line, pid: this.pid }); },
      onEvent: (event) => { this.emit('follow', event); },
    });
  }

  get state(): SupervisorState {
    return this.#state;
  }

  get metricsAddress(): string {
    return this.#o.metricsAddress;
  }

  /** cloudflared's pid, when `pidFile` names a live process; read at most once a second (every line asks). */
  get pid(): number | undefined {
    const now = Date.now();
    if (this.#pidRead === undefined || now - this.#pidRead.at >= PID_READ_EVERY_MS) this.#pidRead = { at: now, pid: this.#readPid() };
    return this.#pidRead.pid;
  }

  #readPid(): number | undefined {
    if (this.#o.pidFile === undefined) return undefined;
    try {
      const pid = Number(readFileSync(this.#o.pidFile, 'utf8').trim());
      if (!Number.isInteger(pid) || pid <= 0) return undefined;
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  /** Following its log; with a pid file, also that the process lives. */
  get alive(): boolean {
    return this.#state === 'running' && (this.#o.pidFile === undefined || this.pid !== undefined);
  }

  start(): void {
    if (this.#state !== 'idle') throw new Error(`attached connector already ${this.#state}`);
    this.#state = 'running';
    this.#follower.start();
    this.#saver = setInterval(() => { this.#save(); }, SAVE_EVERY_MS);
    this.emit('attached', { file: this.#o.logFile, pid: this.pid });
  }

  /** Stops following (cloudflared keeps running: it is not tunnelwatch's to stop). Idempotent. */
  async stop(): Promise<ChildExit | undefined> {
    if (this.#state === 'stopped') return undefined;
    this.#state = 'stopping';
    if (this.#saver !== undefined) clearInterval(this.#saver);
    await this.#follower.stop();
    this.#save();
    this.#state = 'stopped';
    this.emit('stopped', { exit: undefined });
    return undefined;
  }

  /** Fencing needs to keep the connector down, which only its orchestrator can do. */
  hold(): Promise<boolean> {
    return Promise.resolve(false);
  }

  release(): boolean {
    return false;
  }

  pauseOutput(paused: boolean): void {
    this.#follower.pause(paused);
  }

  /** SIGTERM to the pid in `pidFile` (cloudflared drains, its orchestrator starts it again); false without one. */
  restartChild(reason: RestartReason): boolean {
    // Read afresh: a signal must reach the process the file names now.
    const pid = this.#state === 'running' ? this.#readPid() : undefined;
    if (pid === undefined) return false;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return false;
    }
    this.emit('signalled', { pid, reason });
    return true;
  }

  #save(): void {
    const position = this.#follower.position;
    if (position === undefined) return;
    const text = JSON.stringify({ file: this.#o.logFile, ...position });
    if (text === this.#saved) return;
    try {
      replaceFileSync(this.#o.positionFile, text);
      this.#saved = text;
    } catch {
      // Not saved: the next run starts from `from` instead, which is what a first run does.
    }
  }
}

/** The saved position for `file`, if one was saved for that same path. */
function readPosition(positionFile: string, file: string): FollowPosition | undefined {
  try {
    const saved = JSON.parse(readFileSync(positionFile, 'utf8')) as { file?: unknown; ino?: unknown; offset?: unknown };
    if (saved.file !== file || typeof saved.ino !== 'number' || typeof saved.offset !== 'number') return undefined;
    return { ino: saved.ino, offset: saved.offset };
  } catch {
    return undefined;
  }
}
