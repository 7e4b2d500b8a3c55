// Runs cloudflared and keeps it running: start, on every unexpected end ask the restart policy, restart after
// the backoff or stop for good when the crash-loop breaker opens. stop() is the graceful path (tunnelwatch's
// own SIGTERM): one SIGTERM to the child, cloudflared's grace period plus a margin, then SIGKILL.
import { parseLogLine } from '../cloudflared/log/index.js';
import type { Settings } from '../config/index.js';
import { Child, type ChildExit, type ChildLine } from './child.js';
import type { Command } from './command.js';
import { TypedEmitter } from './emitter.js';
import { HangWatch, healthcheckProbe, type Probe } from './hang-watch.js';
import type { FollowEvent } from './log-follower.js';
import { policyOptions, RestartPolicy, type BreakerOpen, type RestartReason } from './restart-policy.js';

export interface SupervisorEvents {
  /** A child was spawned; `run` counts spawns from 1. */
  readonly started: { readonly pid: number; readonly run: number };
  readonly line: ChildLine & { readonly pid: number | undefined };
  /** A child ended; `reason` is undefined when stop() ended it. */
  readonly exited: ChildExit & { readonly pid: number | undefined; readonly reason: RestartReason | undefined };
  readonly restarting: { readonly reason: RestartReason; readonly delayMs: number; readonly attempt: number };
  readonly breaker_open: BreakerOpen;
  /** stop() finished; `exit` is how the last child ended (undefined when none was running). */
  readonly stopped: { readonly exit: ChildExit | undefined };
  /** Attach mode: following the log file of a cloudflared tunnelwatch did not start (its pid when a pid file says). */
  readonly attached: { readonly file: string; readonly pid: number | undefined };
  /** Attach mode: what happened to the followed log file (opened, missing, rotated, truncated). */
  readonly follow: FollowEvent;
  /** Attach mode: a restart was asked for, and SIGTERM sent to the pid of the pid file; the orchestrator restarts it. */
  readonly signalled: { readonly pid: number; readonly reason: RestartReason };
}

export type SupervisorState = 'idle' | 'running' | 'backoff' | 'breaker_open' | 'held' | 'stopping' | 'stopped';

export interface SupervisorOptions {
  readonly command: Command;
  readonly policy: RestartPolicy;
  /** cloudflared's --grace-period. */
  readonly gracePeriodMs: number;
  /** Extra wait after the grace period before SIGKILL (default 5 s). */
  readonly stopMarginMs?: number;
  readonly maxLineBytes: number;
  /** Monotonic milliseconds (default performance.now). */
  readonly now?: () => number;
  /** Kill and restart (reason `hang`) a child silent and not answering on its metrics address this long. */
  readonly hang?: { readonly timeoutMs: number; readonly probe?: Probe };
}

/** Options from settings for a given command (see buildCommand). */
export function supervisorOptions(settings: Settings, command: Command, random: () => number = Math.random): SupervisorOptions {
  return {
    command,
    policy: new RestartPolicy(policyOptions(settings.supervisor, random)),
    gracePeriodMs: settings.cloudflared.gracePeriod,
    maxLineBytes: settings.supervisor.maxLineBytes,
    hang: { timeoutMs: settings.supervisor.hangTimeout },
  };
}

/** Why a child ended, as the restart policy sees it. */
export function reasonOf(exit: ChildExit): RestartReason {
  if (exit.spawnError !== undefined) return { kind: 'start_failed', error: exit.spawnError };
  if (exit.signal !== null) return { kind: 'signal', signal: exit.signal };
  return { kind: 'exit', code: exit.code ?? -1 };
}

export class Supervisor extends TypedEmitter<SupervisorEvents> {
  readonly #o: SupervisorOptions;
  readonly #now: () => number;
  #state: SupervisorState = 'idle';
  #child: Child | undefined;
  #timer: NodeJS.Timeout | undefined;
  #runs = 0;
  #watch: HangWatch | undefined;
  /** Where the running cloudflared's metrics server listens, as its start-up line said. */
  #metricsAddress: string | undefined;
  /** A child tunnelwatch ended on purpose (hang, disconnected too long), and why. */
  #ended: { readonly child: Child; readonly reason: RestartReason } | undefined;
  #stopping: Promise<ChildExit | undefined> | undefined;
  /** The held child's drain, while it lasts. */
  #draining: Promise<void> | undefined;
  #outputPaused = false;

  constructor(options: SupervisorOptions) {
    super();
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
  }

  get state(): SupervisorState {
    return this.#state;
  }

  /** The address cloudflared's metrics server announced (undefined until it did); learnt from its log, once. */
  get metricsAddress(): string | undefined {
    return this.#metricsAddress;
  }

  get pid(): number | undefined {
    return this.#child?.alive === true ? this.#child.pid : undefined;
  }

  /** A cloudflared process is running. */
  get alive(): boolean {
    return this.#child?.alive === true;
  }

  start(): void {
    if (this.#state !== 'idle') throw new Error(`supervisor already ${this.#state}`);
    this.#spawn();
  }

  /** Stops the child gracefully (SIGTERM, then SIGKILL after grace + margin) and never restarts it. Idempotent. */
  stop(): Promise<ChildExit | undefined> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<ChildExit | undefined> {
    this.#state = 'stopping';
    // A draining cloudflared may well be quiet: the stop's own SIGKILL deadline replaces hang detection.
    this.#watch?.stop();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const child = this.#child;
    const exit = child === undefined ? undefined : await child.stop(this.#o.gracePeriodMs + (this.#o.stopMarginMs ?? 5000));
    this.#state = 'stopped';
    this.emit('stopped', { exit });
    return exit;
  }

  /**
   * Drains the child gracefully (SIGTERM, grace period, SIGKILL) and keeps it down until release(): a fenced replica.
   * False when there is nothing to hold (stopping, stopped, breaker open, already held).
   */
  async hold(): Promise<boolean> {
    if (this.#state !== 'running' && this.#state !== 'backoff') return false;
    this.#state = 'held';
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#watch?.stop();
    this.#draining = this.#child?.stop(this.#o.gracePeriodMs + (this.#o.stopMarginMs ?? 5000)).then(() => undefined);
    await this.#draining;
    this.#draining = undefined;
    return true;
  }

  /** Starts the child again after hold(), once the held one has drained. False when not held. */
  release(): boolean {
    if (this.#state !== 'held') return false;
    const draining = this.#draining;
    if (draining === undefined) this.#spawn();
    // Two cloudflared at once would be one too many: the new one waits for the old one's exit.
    else void draining.then(() => { if (this.#state === 'held') this.#spawn(); });
    return true;
  }

  /** Pauses or resumes reading the child's output (log pipeline backpressure); applies to later children too. */
  pauseOutput(paused: boolean): void {
    this.#outputPaused = paused;
    this.#child?.pauseOutput(paused);
  }

  /**
   * Ends the running child gracefully (SIGTERM, grace period, SIGKILL) and restarts it through the policy,
   * recording `reason`. For a connector alive but useless, e.g. with no registered connection for too long.
   * False when no child is running.
   */
  restartChild(reason: RestartReason): boolean {
    const child = this.#child;
    if (this.#state !== 'running' || child === undefined || this.#ended !== undefined) return false;
    this.#ended = { child, reason };
    void child.stop(this.#o.gracePeriodMs + (this.#o.stopMarginMs ?? 5000));
    return true;
  }

  #spawn(): void {
    this.#runs++;
    this.#state = 'running';
    const watch = this.#watchHangs(() => child);
    let child: Child;
    try {
      child = new Child(this.#o.command, {
        maxLineBytes: this.#o.maxLineBytes,
        onLine: (line) => {
          watch?.activity();
          // The one line that says where /metrics is (the address may be a random port): read here, where the hang
          // watch needs it first; everyone else asks `metricsAddress`.
          if (line.line.includes('Starting metrics server')) {
            const event = parseLogLine(line.line);
            if (event.type === 'metrics_server') {
              this.#metricsAddress = event.address;
              if (watch !== undefined) watch.address = event.address;
            }
          }
          this.emit('line', { ...line, pid: child.pid });
        },
        now: this.#now,
      });
    } catch (error) {
      // spawn() throws at once on arguments it cannot pass (a NUL byte, say): a failed start like ENOENT.
      watch?.stop();
      this.#afterEnd({ kind: 'start_failed', error: error instanceof Error ? error.message : String(error) }, 0);
      return;
    }
    this.#child = child;
    this.#watch = watch;
    if (this.#outputPaused) child.pauseOutput(true);
    void child.exited.then((exit) => { this.#onExit(child, exit); });
    if (child.pid !== undefined) this.emit('started', { pid: child.pid, run: this.#runs });
  }

  #watchHangs(child: () => Child): HangWatch | undefined {
    const hang = this.#o.hang;
    if (hang === undefined) return undefined;
    return new HangWatch({
      timeoutMs: hang.timeoutMs,
      probe: hang.probe ?? healthcheckProbe,
      now: this.#now,
      onHang: () => {
        this.#ended = { child: child(), reason: { kind: 'hang' } };
        child().kill();
      },
    });
  }

  #onExit(child: Child, exit: ChildExit): void {
    if (this.#child === child) {
      this.#child = undefined;
      this.#watch?.stop();
      this.#watch = undefined;
    }
    if (this.#state === 'stopping' || this.#state === 'stopped' || this.#state === 'held') {
      // A restart asked for this child is moot now; a later restartChild() must not find it pending.
      if (this.#ended?.child === child) this.#ended = undefined;
      this.emit('exited', { ...exit, pid: child.pid, reason: undefined });
      return;
    }
    const reason: RestartReason = this.#ended?.child === child ? this.#ended.reason : reasonOf(exit);
    this.#ended = undefined;
    this.emit('exited', { ...exit, pid: child.pid, reason });
    this.#afterEnd(reason, exit.durationMs);
  }

  /** Restart after the backoff, or open the breaker. */
  #afterEnd(reason: RestartReason, upMs: number): void {
    const decision = this.#o.policy.decide(reason, upMs, this.#now());
    if (decision.action === 'give_up') {
      this.#state = 'breaker_open';
      this.emit('breaker_open', decision.breaker);
      return;
    }
    this.#state = 'backoff';
    this.emit('restarting', { reason, delayMs: decision.delayMs, attempt: decision.attempt });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state === 'backoff') this.#spawn();
    }, decision.delayMs);
  }
}
