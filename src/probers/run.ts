// The frame every probe runs in: one span, an overall deadline, per-phase deadlines, the AbortSignal, phase
// timings, and the guarantee that the probe ends with a result and leaves no socket open.
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { inSpan } from '../telemetry/tracing/index.js';
import { describeError, seconds } from './errors.js';
import type { KeptAnswer, ProbePhases, ProbeResult, ProbeTarget } from './types.js';

/** Where a probe is. `body` (reading the answer) and `done` are not timed. */
export type Phase = 'dns' | 'connect' | 'tls' | 'first_byte' | 'body' | 'done';

/** What a probe found, before timings are added. */
export type Outcome = Omit<ProbeResult, 'durationMs' | 'phases'>;

/**
 * The one shape every prober has, as in blackbox_exporter: it probes `target` inside the frame `run` and says
 * what it found. It may throw; the frame turns a throw, a deadline or an abort into a failed result.
 */
export type Prober = (target: ProbeTarget, run: ProbeRun) => Promise<Outcome>;

const PHASE_FIELD: Partial<Record<Phase, keyof Omit<ProbePhases, 'totalMs'>>> = {
  dns: 'dnsMs',
  connect: 'connectMs',
  tls: 'tlsMs',
  first_byte: 'firstByteMs',
};

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

interface Closable {
  destroy(): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

const ignore = (): void => undefined;

/** The running probe, handed to the prober's body. */
export class ProbeRun {
  phase: Phase = 'connect';
  readonly phases: Omit<ProbePhases, 'totalMs'> = {};
  /** Facts learned so far (status, certificate expiry), kept even when the probe later fails. */
  readonly found: { status?: number; tlsNotAfter?: number; banner?: string; answer?: KeptAnswer } = {};
  /** Set once the origin has answered: a later timeout or abort then ends the probe with this outcome. */
  answered: Outcome | undefined;
  private phaseStart: number;
  private begun = false;
  private phaseTimer: NodeJS.Timeout | undefined;
  private readonly resources = new Set<Closable>();

  constructor(
    private readonly span: Span,
    private readonly stop: (error: string) => void,
    startedAt: number,
  ) {
    this.phaseStart = startedAt;
  }

  /** Ends the current phase (recording its duration and a span event) and starts `next`. */
  enter(next: Phase): void {
    const now = performance.now();
    const field = PHASE_FIELD[this.phase];
    if (this.begun && field !== undefined) {
      const ms = round(now - this.phaseStart);
      this.phases[field] = ms;
      this.span.addEvent(this.phase, { 'duration_ms': ms });
    }
    this.begun = true;
    this.phase = next;
    this.phaseStart = now;
  }

  /** Bounds what follows by `ms` (cloudflared's connectTimeout, tlsTimeout); undefined leaves only the overall deadline. */
  limit(ms: number | undefined): void {
    clearTimeout(this.phaseTimer);
    this.phaseTimer =
      ms === undefined ? undefined : setTimeout(() => { this.stop(`timeout after ${seconds(ms)} in ${this.phase}`); }, ms);
  }

  /** Destroys `resource` when the probe ends, whichever way; its late errors are ignored, not crashes. */
  track<T extends Closable>(resource: T): T {
    resource.on('error', ignore);
    this.resources.add(resource);
    return resource;
  }

  /** Destroys the newest resource first: destroying a raw socket under a live TLS socket crashes Node 20. */
  close(): void {
    clearTimeout(this.phaseTimer);
    for (const r of [...this.resources].reverse()) r.destroy();
    this.resources.clear();
  }
}

/** The scheme as the service is written (`https`, `redis`, `unix+tls`), for the span. */
function schemeText(target: ProbeTarget): string {
  const { service } = target;
  if (service.kind === 'unix') return service.tls ? 'unix+tls' : 'unix';
  return service.scheme;
}

/**
 * Runs `prober` on `target` inside a span named `probe <scheme>`. The overall deadline (target.timeoutMs),
 * a phase deadline or the signal stops it with `timeout after Ns in <phase>` or `aborted`; a throw becomes
 * its error. Never throws.
 */
export async function runProbe(target: ProbeTarget, signal: AbortSignal, prober: Prober): Promise<ProbeResult> {
  const scheme = schemeText(target);
  const attributes = { 'tunnelwatch.probe.target': target.key, 'tunnelwatch.probe.scheme': scheme };
  return inSpan(`probe ${scheme}`, attributes, async (span) => {
    const startedAt = performance.now();
    let stop: (error: string) => void = () => undefined;
    const stopped = new Promise<Outcome>((resolve) => {
      stop = (error) => { resolve(run.answered ?? { ok: false, error }); };
    });
    const run = new ProbeRun(span, (error) => { stop(error); }, startedAt);
    const overall = setTimeout(() => { stop(`timeout after ${seconds(target.timeoutMs)} in ${run.phase}`); }, target.timeoutMs);
    const onAbort = (): void => { stop('aborted'); };
    signal.addEventListener('abort', onAbort, { once: true });
    let outcome: Outcome;
    try {
      outcome = signal.aborted
        ? { ok: false, error: 'aborted' }
        : await Promise.race([prober(target, run).catch((error: unknown) => ({ ok: false, error: describeError(error, run.phase) })), stopped]);
    } finally {
      clearTimeout(overall);
      signal.removeEventListener('abort', onAbort);
      run.close();
    }
    const totalMs = round(performance.now() - startedAt);
    const result: ProbeResult = { ...run.found, ...outcome, durationMs: totalMs, phases: { ...run.phases, totalMs } };
    span.setAttribute('tunnelwatch.probe.ok', result.ok);
    if (result.status !== undefined) span.setAttribute('http.response.status_code', result.status);
    if (!result.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error ?? 'failed' });
    return result;
  });
}
