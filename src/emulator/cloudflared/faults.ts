// Fault injection for the emulated cloudflared: the step schema shared by scenario files and the control
// endpoint (validated with zod, so bad input is reported, never thrown), the persistent fault flags the
// connection code consults, and how a step is applied.
import { z } from 'zod';
import { parseGoDuration } from '../../go/index.js';

/** A cloudflared duration: a Go duration string (`5s`, `1m30s`) or a number of seconds. */
export const DurationSchema = z.union([
  z.number().nonnegative(),
  z.string().refine((s) => parseGoDuration(s) !== undefined && (parseGoDuration(s) ?? -1) >= 0, {
    error: 'expected a duration such as "5s", "1m30s" or "250ms"',
  }),
]);

/** Milliseconds of a DurationSchema value. */
export function durationMs(value: z.infer<typeof DurationSchema>): number {
  return typeof value === 'number' ? value * 1000 : (parseGoDuration(value) ?? 0);
}

export const DropReasonSchema = z.enum(['quic_timeout', 'goaway', 'edge_closed']);
export type DropReason = z.infer<typeof DropReasonSchema>;

const Clearable = z.enum(['all', 'edge_unreachable', 'quic_blocked', 'register_refused', 'hang', 'slow_shutdown']);

export const FaultSchema = z.discriminatedUnion('fault', [
  z.object({ fault: z.literal('drop'), conn: z.number().int().nonnegative().optional(), reason: DropReasonSchema.default('quic_timeout') }).strict(),
  z.object({ fault: z.literal('drop_all'), reason: DropReasonSchema.default('quic_timeout') }).strict(),
  z.object({ fault: z.literal('edge_unreachable') }).strict(),
  z.object({ fault: z.literal('quic_blocked') }).strict(),
  z
    .object({
      fault: z.literal('reconnect_storm'),
      count: z.number().int().min(1).max(1000),
      interval: DurationSchema,
      reason: DropReasonSchema.default('quic_timeout'),
    })
    .strict(),
  z.object({ fault: z.literal('hang') }).strict(),
  z.object({ fault: z.literal('crash'), exitCode: z.number().int().min(0).max(255).optional(), message: z.string().optional() }).strict(),
  z.object({ fault: z.literal('slow_shutdown') }).strict(),
  z
    .object({
      fault: z.literal('config_update'),
      version: z.number().int().min(0).max(2147483647),
      config: z.union([z.string(), z.record(z.string(), z.unknown())]),
    })
    .strict(),
  z.object({ fault: z.literal('ha_gauge_defect') }).strict(),
  z
    .object({
      fault: z.literal('register_refused'),
      error: z.string().min(1).default('Unauthorized: Invalid tunnel secret'),
      retryable: z.boolean().default(true),
      drop: z.boolean().default(false),
    })
    .strict(),
  z.object({ fault: z.literal('clear'), what: Clearable.default('all') }).strict(),
]);
export type Fault = z.infer<typeof FaultSchema>;

export const StepSchema = z.intersection(z.object({ at: DurationSchema }), FaultSchema);
export type Step = z.infer<typeof StepSchema>;

export const ScenarioSchema = z.object({ steps: z.array(StepSchema) }).strict();

/** Validates one fault (the control endpoint's body); `at`, when present, is accepted and ignored. */
export function parseFault(input: unknown): { ok: true; fault: Fault } | { ok: false; error: string } {
  const body = typeof input === 'object' && input !== null && !Array.isArray(input) ? { ...(input as Record<string, unknown>) } : input;
  if (typeof body === 'object' && body !== null && 'at' in body) delete (body as Record<string, unknown>).at;
  const parsed = FaultSchema.safeParse(body);
  return parsed.success ? { ok: true, fault: parsed.data } : { ok: false, error: z.prettifyError(parsed.error) };
}

/** Faults that stay in force until cleared. */
export class FaultState {
  edgeUnreachable = false;
  quicBlocked = false;
  registerRefused: { readonly error: string; readonly retryable: boolean } | undefined;
  hung = false;
  slowShutdown = false;

  clear(what: z.infer<typeof Clearable>): void {
    if (what === 'all' || what === 'edge_unreachable') this.edgeUnreachable = false;
    if (what === 'all' || what === 'quic_blocked') this.quicBlocked = false;
    if (what === 'all' || what === 'register_refused') this.registerRefused = undefined;
    if (what === 'all' || what === 'hang') this.hung = false;
    if (what === 'all' || what === 'slow_shutdown') this.slowShutdown = false;
  }

  /** Names of the faults in force (for GET /state). */
  active(): string[] {
    const out: string[] = [];
    if (this.edgeUnreachable) out.push('edge_unreachable');
    if (this.quicBlocked) out.push('quic_blocked');
    if (this.registerRefused) out.push('register_refused');
    if (this.hung) out.push('hang');
    if (this.slowShutdown) out.push('slow_shutdown');
    return out;
  }
}

/** What applying a fault needs from the running emulator. */
export interface FaultTarget {
  readonly faults: FaultState;
  /** Drops one registered connection (a given slot, else the lowest registered one); false when none is up. */
  drop(conn: number | undefined, reason: DropReason): boolean;
  dropAll(reason: DropReason): void;
  /** QUIC connections alive when UDP gets blocked die of idle timeout. */
  quicPathLost(): void;
  /** Every connection alive when the edge becomes unreachable dies. */
  edgeLost(): void;
  /** Ends the process as a Go panic (exit 2) or with a given code. */
  crash(exitCode: number | undefined, message: string | undefined): void;
  /** The edge pushes a configuration version. */
  pushConfig(version: number, configText: string): void;
  setHung(hung: boolean): void;
  /** Runs `fn` after `ms` of cloudflared time. */
  after(ms: number, fn: () => void): void;
}

/** Applies one fault now. */
export function applyFault(fault: Fault, target: FaultTarget): void {
  const { faults } = target;
  switch (fault.fault) {
    case 'drop':
      target.drop(fault.conn, fault.reason);
      return;
    case 'drop_all':
      target.dropAll(fault.reason);
      return;
    case 'edge_unreachable':
      faults.edgeUnreachable = true;
      target.edgeLost();
      return;
    case 'quic_blocked':
      faults.quicBlocked = true;
      target.quicPathLost();
      return;
    case 'reconnect_storm': {
      const every = durationMs(fault.interval);
      for (let i = 0; i < fault.count; i++) target.after(every * i, () => target.drop(undefined, fault.reason));
      return;
    }
    case 'hang':
      faults.hung = true;
      target.setHung(true);
      return;
    case 'crash':
      target.crash(fault.exitCode, fault.message);
      return;
    case 'slow_shutdown':
      faults.slowShutdown = true;
      return;
    case 'config_update':
      target.pushConfig(fault.version, typeof fault.config === 'string' ? fault.config : JSON.stringify(fault.config));
      return;
    case 'ha_gauge_defect':
      // Every connection drops and the edge stays unreachable: slot 0 keeps its connect loop running (the
      // gauge counts it) while slots 1..N-1 sit in the supervisor's backoff, so the gauge reads 1 with no
      // connection registered, as cloudflared_tunnel_ha_connections really does.
      faults.edgeUnreachable = true;
      target.dropAll('quic_timeout');
      return;
    case 'register_refused':
      faults.registerRefused = { error: fault.error, retryable: fault.retryable };
      if (fault.drop) target.dropAll('goaway');
      return;
    case 'clear':
      faults.clear(fault.what);
      if (fault.what === 'all' || fault.what === 'hang') target.setHung(false);
      return;
  }
}
