// What a probe is given and what it gives back. The prober's own signature is in run.ts, beside the frame it
// runs in.
import type { OriginRequest, OriginService } from '../cloudflared/config/index.js';
import type { StatusRange } from './status.js';

/** The services a prober can reach: HTTP(S) URLs, raw TCP streams and Unix sockets. */
export type ProbeService = Extract<OriginService, { kind: 'http' | 'stream' | 'unix' }>;

/** One origin to probe. Built by targets.ts from ingress rules and settings; carries no request data. */
export interface ProbeTarget {
  /** `rule<i>:<service>` for ingress rules, the settings name for extra targets. Bounded: one per origin. */
  readonly key: string;
  readonly service: ProbeService;
  /** The service as cloudflared prints it. */
  readonly serviceText: string;
  /** Effective originRequest options (timeouts, Host, SNI, CA pool, verification). */
  readonly originRequest: OriginRequest;
  /** Overall deadline of one probe, all phases included. */
  readonly timeoutMs: number;
  /** Request path for HTTP targets; `/` when absent. */
  readonly path?: string;
  /** Statuses that make an HTTP probe ok; ANY_STATUS when absent. */
  readonly okStatus?: readonly StatusRange[];
  /** Indexes of the ingress rules this target stands for (empty for settings targets). */
  readonly rules: readonly number[];
  /** Keep who answered (`server`, `cf-ray`) and the head of the body: a check through the tunnel reads Cloudflare's error pages. */
  readonly keepAnswer?: boolean;
}

/** Durations of the phases a probe went through, in milliseconds; absent when the phase was not reached. */
export interface ProbePhases {
  dnsMs?: number;
  connectMs?: number;
  tlsMs?: number;
  firstByteMs?: number;
  totalMs: number;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** Short and human: `connect ECONNREFUSED 127.0.0.1:9`, `status 503`, `timeout after 5s in connect`. */
  readonly error?: string;
  readonly durationMs: number;
  readonly phases: ProbePhases;
  /** HTTP status, when the origin answered HTTP. */
  readonly status?: number;
  /** Unix ms at which the origin's leaf certificate expires, when TLS was spoken. */
  readonly tlsNotAfter?: number;
  /** First line an SSH origin sent. */
  readonly banner?: string;
  /** With keepAnswer: the `server` and `cf-ray` headers and the first bytes of the body. */
  readonly answer?: KeptAnswer;
}

/** What a check through the tunnel reads of an answer: Cloudflare's own error pages say `error code: 1033`. */
export interface KeptAnswer {
  readonly server?: string;
  readonly ray?: string;
  readonly head: string;
}
