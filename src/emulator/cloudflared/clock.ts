// Time and chance for the emulated cloudflared. Every duration the emulator waits is a cloudflared duration
// (1 s registration interval, backoffs, the 5 s QUIC handshake timeout, the grace period…) multiplied by the
// time scale, so tests run cloudflared's timeline compressed while logs still print cloudflared's numbers.
// Randomness (backoff jitter, ids, edge IPs, colos) comes from a seedable generator.
import { randomBytes } from 'node:crypto';

/** A one-shot event, like closing a Go channel: waiters resolve once, later waiters resolve at once. */
export class Latch {
  #fired = false;
  #waiters: (() => void)[] = [];

  get fired(): boolean {
    return this.#fired;
  }

  fire(): void {
    if (this.#fired) return;
    this.#fired = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  wait(): Promise<void> {
    if (this.#fired) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Calls `fn` once fired; returns a function that drops the subscription. */
  on(fn: () => void): () => void {
    if (this.#fired) {
      fn();
      return () => undefined;
    }
    this.#waiters.push(fn);
    return () => {
      this.#waiters = this.#waiters.filter((w) => w !== fn);
    };
  }
}

export interface Clock {
  /** Multiplier from cloudflared time to real time (0.01: one second takes 10 ms). */
  readonly scale: number;
  /** Wall-clock Unix milliseconds (log timestamps). */
  now(): number;
  /** cloudflared's own time: starts at the wall clock and runs 1/scale times as fast. */
  virtualNow(): number;
  /** Runs `fn` after `ms` of cloudflared time; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export function scaledClock(scale: number, now: () => number = Date.now): Clock {
  const origin = now();
  return {
    scale,
    now,
    virtualNow: () => origin + (now() - origin) / scale,
    after(ms, fn) {
      const t = setTimeout(fn, Math.max(0, ms * scale));
      return () => { clearTimeout(t); };
    },
  };
}

/**
 * Waits `ms` of cloudflared time unless one of `latches` fires first. Resolves to the index of the latch
 * that fired, or -1 when the time elapsed.
 */
export function sleep(clock: Clock, ms: number, ...latches: readonly Latch[]): Promise<number> {
  const first = latches.findIndex((l) => l.fired);
  if (first !== -1) return Promise.resolve(first);
  return new Promise((resolve) => {
    const drops: (() => void)[] = [];
    const done = (index: number): void => {
      for (const drop of drops) drop();
      resolve(index);
    };
    drops.push(clock.after(ms, () => { done(-1); }));
    latches.forEach((latch, index) => drops.push(latch.on(() => { done(index); })));
  });
}

/** Resolves to the index of the first latch to fire. */
export function waitAny(...latches: readonly Latch[]): Promise<number> {
  const first = latches.findIndex((l) => l.fired);
  if (first !== -1) return Promise.resolve(first);
  return new Promise((resolve) => {
    const drops: (() => void)[] = [];
    latches.forEach((latch, index) =>
      drops.push(
        latch.on(() => {
          for (const drop of drops) drop();
          resolve(index);
        }),
      ),
    );
  });
}

/** mulberry32: small, fast, good enough for jitter and fake identifiers. */
export class Random {
  #state: number;

  constructor(seed?: string) {
    this.#state = seed === undefined || seed === '' ? randomBytes(4).readUInt32LE(0) : Random.#hash(seed);
  }

  static #hash(text: string): number {
    let h = 2166136261;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
    return h >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** A random (version 4) UUID. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => this.int(16).toString(16));
    hex[12] = '4';
    hex[16] = (8 + this.int(4)).toString(16);
    const s = hex.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}
