// supervisor/supervisor.go: connection 0 dials first and retries in place (startFirstTunnel); once it
// registers, connections 1..N-1 start one second apart. A slot whose Serve returns is logged as
// `Connection terminated` and restarted after the supervisor's shared backoff (random below 10 s·2^n);
// when every slot has ended during a shutdown, `no more connections active and exiting`.
import { BackoffHandler } from './backoff.js';
import { Latch, sleep } from './clock.js';
import { AddrFallback, serve } from './serve.js';
import { ProtocolFallback, type SlotError, type TunnelRuntime } from './runtime.js';

type Event =
  | { readonly type: 'ended'; readonly index: number; readonly err: SlotError | undefined }
  | { readonly type: 'connected'; readonly index: number }
  | { readonly type: 'backoff' }
  | { readonly type: 'ctx' }
  | { readonly type: 'graceful' };

class Mailbox {
  readonly #queue: Event[] = [];
  #wake: (() => void) | undefined;

  push(event: Event): void {
    this.#queue.push(event);
    this.#wake?.();
  }

  async next(): Promise<Event> {
    for (;;) {
      const event = this.#queue.shift();
      if (event) return event;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}

/** Errors startFirstTunnel retries in place instead of giving up on. */
const FIRST_TUNNEL_RETRY = new Set<SlotError['kind']>(['duplicate', 'quicDial', 'dial', 'controlStream', 'streamListener']);

export class Supervisor {
  readonly #rt: TunnelRuntime;
  readonly #fallbacks = new Map<number, ProtocolFallback>();
  readonly #addrFallback: AddrFallback;
  readonly #mail = new Mailbox();
  readonly #connecting = new Set<number>();
  #haConnections: number;

  constructor(rt: TunnelRuntime) {
    this.#rt = rt;
    this.#addrFallback = new AddrFallback(rt.options.maxEdgeAddrRetries);
    this.#haConnections = rt.options.haConnections;
  }

  /** The protocol each started slot dials with (for GET /state). */
  protocols(): Record<number, string> {
    return Object.fromEntries([...this.#fallbacks].map(([i, pf]) => [i, pf.protocol]));
  }

  #fallback(index: number, protocol: ProtocolFallback['protocol']): ProtocolFallback {
    const pf = new ProtocolFallback(this.#rt.options.retries, protocol, () => this.#rt.clock.virtualNow(), this.#rt.rng);
    this.#fallbacks.set(index, pf);
    return pf;
  }

  #pf(index: number): ProtocolFallback {
    const pf = this.#fallbacks.get(index);
    if (!pf) throw new Error(`no protocol fallback for slot ${String(index)}`);
    return pf;
  }

  async #startFirstTunnel(connected: Latch): Promise<void> {
    const rt = this.#rt;
    let err: SlotError | undefined;
    for (;;) {
      err = await serve(rt, this.#addrFallback, 0, this.#pf(0), () => {
        connected.fire();
        this.#mail.push({ type: 'connected', index: 0 });
      });
      if (rt.serverCtx.fired || err === undefined) break;
      if (err.message.includes('Unauthorized')) continue;
      if (!FIRST_TUNNEL_RETRY.has(err.kind)) break;
    }
    this.#mail.push({ type: 'ended', index: 0, err });
  }

  #startTunnel(index: number): void {
    this.#connecting.add(index);
    void serve(this.#rt, this.#addrFallback, index, this.#pf(index), () => { this.#mail.push({ type: 'connected', index }); }).then((err) => { this.#mail.push({ type: 'ended', index, err }); },
    );
  }

  /** initialize: undefined when connection 0 registered; 'shutdown' on an early graceful shutdown. */
  async #initialize(): Promise<SlotError | 'shutdown' | undefined> {
    const rt = this.#rt;
    const available = rt.addrs.available();
    if (this.#haConnections > available) {
      rt.log.emit('info', `You requested ${String(this.#haConnections)} HA connections but I can give you at most ${String(available)}.`);
      this.#haConnections = available;
    }
    this.#fallback(0, rt.options.selector.current());
    const connected = new Latch();
    void this.#startFirstTunnel(connected);
    const ctxDrop = rt.serverCtx.on(() => { this.#mail.push({ type: 'ctx' }); });
    const graceDrop = rt.graceful.on(() => { this.#mail.push({ type: 'graceful' }); });
    try {
      for (;;) {
        if (connected.fired) break;
        const event = await this.#mail.next();
        if (event.type === 'ended') return event.err ?? { kind: 'canceled', message: 'context canceled' };
        if (event.type === 'graceful') return 'shutdown';
        if (event.type === 'ctx') {
          for (let e = await this.#mail.next(); e.type !== 'ended'; e = await this.#mail.next());
          return { kind: 'canceled', message: 'context canceled' };
        }
      }
    } finally {
      ctxDrop();
      graceDrop();
    }
    for (let i = 1; i < this.#haConnections; i++) {
      this.#fallback(i, this.#pf(0).protocol);
      this.#startTunnel(i);
      await sleep(rt.clock, 1000, rt.serverCtx);
    }
    return undefined;
  }

  /** Supervisor.Run: resolves with the daemon's error (undefined = nil). */
  async run(): Promise<SlotError | undefined> {
    const rt = this.#rt;
    const init = await this.#initialize();
    if (init === 'shutdown') return undefined;
    if (init !== undefined) {
      rt.log.emit('error', 'initial tunnel connection failed', [['error', init.message]]);
      return init;
    }
    let active = this.#haConnections;
    let waiting: number[] = [];
    const backoff = new BackoffHandler(rt.options.retries, 10_000, true, () => rt.clock.virtualNow(), rt.rng);
    let cancelBackoff: (() => void) | undefined;
    let shuttingDown = rt.graceful.fired;
    rt.serverCtx.on(() => { this.#mail.push({ type: 'ctx' }); });
    rt.graceful.on(() => { this.#mail.push({ type: 'graceful' }); });
    for (;;) {
      const event = await this.#mail.next();
      switch (event.type) {
        case 'ctx':
          cancelBackoff?.();
          while (active > 0) if ((await this.#mail.next()).type === 'ended') active--;
          return undefined;
        case 'graceful':
          shuttingDown = true;
          break;
        case 'connected':
          if (!this.#nextTunnel(event.index) && waiting.length === 0) backoff.setGracePeriod();
          break;
        case 'backoff':
          cancelBackoff = undefined;
          for (const index of waiting) this.#startTunnel(index);
          active += waiting.length;
          waiting = [];
          break;
        case 'ended': {
          active--;
          const fields: [string, string | number][] = event.err === undefined ? [] : [['error', event.err.message]];
          fields.push(['connIndex', event.index]);
          rt.log.emit(rt.tracker.countActive() === 0 ? 'error' : 'warn', 'Connection terminated', fields);
          if (event.err !== undefined && !shuttingDown) {
            if (rt.serverCtx.fired) break;
            waiting.push(event.index);
            this.#nextTunnel(event.index);
            if (cancelBackoff === undefined) {
              const wait = backoff.nextWaitMs() ?? 0;
              cancelBackoff = rt.clock.after(wait, () => { this.#mail.push({ type: 'backoff' }); });
            }
          } else if (active === 0) {
            rt.log.emit(rt.tracker.countActive() === 0 ? 'error' : 'warn', 'no more connections active and exiting');
            return undefined;
          }
          break;
        }
      }
    }
  }

  /** waitForNextTunnel: forget `index`; true while other slots are still connecting. */
  #nextTunnel(index: number): boolean {
    this.#connecting.delete(index);
    return this.#connecting.size > 0;
  }
}
