// Faults a test can switch on while the emulator runs (POST /__emulator/faults): the next N API calls fail
// with a status, every API call is delayed, or the rate limit changes. They apply to /client/v4 only; the
// emulated connectors' /__edge control plane is never disturbed by them.
import { STATUS_CODES } from 'node:http';
import * as z from 'zod';
import { authenticationError, failure, rateLimited, type Reply } from './envelope.js';
import type { RateLimiter, RateLimitPolicy } from './rate-limit.js';

export const faultPatchSchema = z
  .strictObject({
    /** Answer the next `count` matching API calls with this status. */
    status: z.int().min(400).max(599).optional(),
    /** How many calls fail (default 1); `count: 0` alone clears a pending status fault. */
    count: z.int().min(0).optional(),
    /** `retry-after` seconds sent with the fault; fractions are allowed so tests stay fast (429 defaults to 1). */
    retryAfter: z.number().min(0).optional(),
    /** Only calls whose path (after /client/v4) contains this text fail. */
    path: z.string().min(1).optional(),
    /** Delay before every API call is answered; 0 turns it off. */
    latencyMs: z.int().min(0).max(120_000).optional(),
    /** A new rate-limit policy (budgets restart); null restores the seed's policy. */
    rateLimit: z.strictObject({ limit: z.int().min(1), windowMs: z.int().min(1) }).nullable().optional(),
  })
  .refine((p) => p.status !== undefined || (p.retryAfter === undefined && p.path === undefined && !p.count), {
    error: 'count, retryAfter and path describe a status fault: give status too (count: 0 alone clears one)',
  });

export type FaultPatch = z.input<typeof faultPatchSchema>;

interface StatusFault {
  readonly status: number;
  remaining: number;
  readonly retryAfter?: number;
  readonly path?: string;
}

export class Faults {
  readonly #limiter: RateLimiter;
  readonly #seedPolicy: RateLimitPolicy;
  #status: StatusFault | undefined;
  #latencyMs = 0;

  constructor(limiter: RateLimiter) {
    this.#limiter = limiter;
    this.#seedPolicy = limiter.policy;
  }

  get latencyMs(): number {
    return this.#latencyMs;
  }

  /** Applies the keys present in a validated patch; absent keys leave their fault as it is. */
  apply(patch: z.output<typeof faultPatchSchema>): void {
    if (patch.status !== undefined) {
      this.#status = {
        status: patch.status,
        remaining: patch.count ?? 1,
        ...(patch.retryAfter === undefined ? {} : { retryAfter: patch.retryAfter }),
        ...(patch.path === undefined ? {} : { path: patch.path }),
      };
    } else if (patch.count === 0) {
      this.#status = undefined;
    }
    if (patch.latencyMs !== undefined) this.#latencyMs = patch.latencyMs;
    if (patch.rateLimit !== undefined) this.#limiter.setPolicy(patch.rateLimit ?? this.#seedPolicy);
  }

  reset(): void {
    this.#status = undefined;
    this.#latencyMs = 0;
    this.#limiter.setPolicy(this.#seedPolicy);
  }

  /** The injected failure for this call, if one is pending and matches; each use counts down. */
  take(path: string): Reply | undefined {
    const fault = this.#status;
    if (!fault || fault.remaining <= 0 || (fault.path !== undefined && !path.includes(fault.path))) return undefined;
    fault.remaining -= 1;
    const retryAfter = fault.retryAfter ?? (fault.status === 429 ? 1 : undefined);
    const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
    if (fault.status === 429) return rateLimited(headers);
    if (fault.status === 403) return authenticationError();
    // Other statuses carry the HTTP status as their code, so an injected failure is recognisable in a test.
    const message = `${STATUS_CODES[fault.status] ?? 'Error'} (injected by the emulator)`;
    return failure(fault.status, { code: fault.status, message }, headers);
  }

  snapshot(): unknown {
    const status = this.#status && this.#status.remaining > 0 ? { ...this.#status } : null;
    return { status, latencyMs: this.#latencyMs, rateLimit: this.#limiter.policy };
  }
}
