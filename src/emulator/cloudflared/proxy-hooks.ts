// The connector side of the edge proxy (edge-proxy.ts): hooks backed by the running emulator — the rules in
// force, which registered connection carries a request and over which transport, request metrics — and
// the in-flight count the graceful drain waits for.
import type { Latch } from './clock.js';
import type { EdgeProxyHooks } from './edge-proxy.js';
import type { EmulatorLogger } from './logger.js';
import type { CloudflaredMetrics } from './metrics.js';
import type { Orchestrator } from './orchestrator.js';
import type { LiveConn } from './runtime.js';

/** Requests in flight, and whether the edge may close drained connections. */
export class InFlight {
  #count = 0;
  readonly #waiters = new Set<Latch>();

  get count(): number {
    return this.#count;
  }

  start(): void {
    this.#count++;
  }

  end(): void {
    this.#count = Math.max(0, this.#count - 1);
    if (this.#count === 0) for (const latch of this.#waiters) latch.fire();
    if (this.#count === 0) this.#waiters.clear();
  }

  /** Fires `latch` once nothing is in flight (at once when nothing is). */
  whenIdle(latch: Latch): void {
    if (this.#count === 0) latch.fire();
    else this.#waiters.add(latch);
  }
}

export interface HookSources {
  readonly orchestrator: Orchestrator;
  readonly live: ReadonlyMap<number, LiveConn>;
  readonly metrics: CloudflaredMetrics;
  readonly log: EmulatorLogger;
  readonly inFlight: InFlight;
  readonly connectorId: string;
  /** While hung the connector carries nothing (the edge sees no live connection). */
  readonly hung: () => boolean;
}

export function proxyHooks(src: HookSources): EdgeProxyHooks {
  let next = 0;
  return {
    rules: () => src.orchestrator.rules,
    pickConnIndex: () => {
      if (src.hung()) return undefined;
      const indices = [...src.live.keys()].sort((a, b) => a - b);
      if (indices.length === 0) return undefined;
      const index = indices[next % indices.length];
      next++;
      return index;
    },
    edgeIp: (connIndex) => src.live.get(connIndex)?.ip,
    protocol: (connIndex) => src.live.get(connIndex)?.protocol,
    connectorId: src.connectorId,
    log: src.log.log,
    onRequestStart: () => {
      src.inFlight.start();
      src.metrics.totalRequests.inc();
      src.metrics.concurrentRequests.inc();
    },
    onRequestEnd: () => {
      src.metrics.concurrentRequests.dec();
      src.inFlight.end();
    },
    onResponse: (statusCode) => { src.metrics.responseByCode.labels({ status_code: String(statusCode) }).inc(); },
    onError: () => { src.metrics.requestErrors.inc(); },
  };
}
