// Alertmanager API v2 client. Every configured Alertmanager gets its own POST /api/v2/alerts (never one
// behind a balancer: each must hold every alert for the cluster to deduplicate), with its own record of what
// it acknowledged, so one being down neither stops nor delays the others, and what it missed is sent again
// on the next tick. Firing alerts are re-sent every resendInterval; resolved ones while the engine keeps them.
import { createHttpFetch } from '../base/index.js';
import type { AlertInstance, LogFn } from './engine.js';

export type Outcome = 'success' | 'rejected' | 'error';
export const OUTCOMES: readonly Outcome[] = ['success', 'rejected', 'error'];

export interface AlertmanagerOptions {
  /** Base URLs, e.g. `http://alertmanager-0:9093`; `/api/v2/alerts` is appended. */
  readonly urls: readonly string[];
  readonly resendIntervalMs: number;
  readonly evaluationIntervalMs: number;
  /** `generatorURL` of every alert: this replica's /status. */
  readonly generatorUrl: string;
  readonly log: LogFn;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** One alert in the body of POST /api/v2/alerts (Alertmanager's `postableAlert`). */
export interface PostableAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
}

// Prometheus sends at most this many alerts per request.
const MAX_BATCH = 256;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Alertmanager answers a post with a few bytes, or an error of a few hundred. */
const alertmanagerFetch = createHttpFetch({ maxBytes: 1 << 20 });

interface Delivered {
  readonly state: 'firing' | 'resolved';
  readonly firedAt: number | undefined;
  readonly at: number;
}

class Target {
  /** Label and log name of the Alertmanager: the URL without credentials, query or fragment. */
  readonly name: string;
  readonly endpoint: string;
  readonly authorization: string | undefined;
  readonly delivered = new Map<string, Delivered>();
  readonly counts = new Map<Outcome, number>(OUTCOMES.map((o) => [o, 0]));
  inFlight: Promise<void> | undefined;
  failing = false;

  constructor(base: string) {
    const url = new URL(base);
    // fetch() refuses URLs with credentials; they travel as a Basic Authorization header instead.
    this.authorization = url.username === '' ? undefined : `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    const root = url.toString().replace(/\/+$/, '');
    this.name = root;
    this.endpoint = `${root}/api/v2/alerts`;
  }
}

export class AlertmanagerClient {
  readonly #targets: Target[];
  readonly #options: AlertmanagerOptions;
  readonly #fetch: typeof fetch;

  constructor(options: AlertmanagerOptions) {
    this.#options = options;
    this.#targets = options.urls.map((u) => new Target(u));
    this.#fetch = options.fetch ?? alertmanagerFetch;
  }

  /** Starts sending what each Alertmanager is due; an Alertmanager whose previous request is still open is skipped. */
  dispatch(instances: readonly AlertInstance[], now: number): void {
    for (const target of this.#targets) {
      if (target.inFlight) continue;
      const due = instances.filter((i) => this.#due(target, i, now));
      for (const key of target.delivered.keys()) if (!instances.some((i) => i.key === key)) target.delivered.delete(key);
      if (due.length === 0) continue;
      target.inFlight = this.#send(target, due, now).finally(() => {
        target.inFlight = undefined;
      });
    }
  }

  /** The Alertmanagers, named without credentials. */
  names(): string[] {
    return this.#targets.map((t) => t.name);
  }

  /** Resolves when no request is open. */
  async idle(): Promise<void> {
    await Promise.all(this.#targets.map((t) => t.inFlight ?? Promise.resolve()));
  }

  /** Alerts sent, by Alertmanager and outcome (cumulative). */
  counts(): { alertmanager: string; outcome: Outcome; value: number }[] {
    return this.#targets.flatMap((t) => OUTCOMES.map((outcome) => ({ alertmanager: t.name, outcome, value: t.counts.get(outcome) ?? 0 })));
  }

  /** The request body for `instances` at `now`. */
  body(instances: readonly AlertInstance[], now: number): PostableAlert[] {
    const validFor = 4 * Math.max(this.#options.resendIntervalMs, this.#options.evaluationIntervalMs);
    return instances.map((i) => ({
      labels: i.labels,
      annotations: { ...i.annotations },
      startsAt: new Date(i.firedAt ?? i.activeAt).toISOString(),
      endsAt: new Date(i.state === 'resolved' ? (i.resolvedAt ?? now) : now + validFor).toISOString(),
      generatorURL: this.#options.generatorUrl,
    }));
  }

  #due(target: Target, i: AlertInstance, now: number): boolean {
    if (i.state === 'pending') return false;
    const last = target.delivered.get(i.key);
    if (last === undefined || last.state !== i.state || last.firedAt !== i.firedAt) return true;
    return now - last.at >= this.#options.resendIntervalMs;
  }

  async #send(target: Target, due: readonly AlertInstance[], now: number): Promise<void> {
    for (let start = 0; start < due.length; start += MAX_BATCH) {
      const batch = due.slice(start, start + MAX_BATCH);
      const outcome = await this.#post(target, batch, now);
      target.counts.set(outcome.kind, (target.counts.get(outcome.kind) ?? 0) + batch.length);
      if (outcome.kind !== 'success') {
        this.#failed(target, outcome.detail, due.length);
        return;
      }
      for (const i of batch) target.delivered.set(i.key, { state: i.state === 'resolved' ? 'resolved' : 'firing', firedAt: i.firedAt, at: now });
    }
    if (target.failing) this.#options.log('info', { alertmanager: target.name }, `Alertmanager ${target.name} accepts alerts again`);
    target.failing = false;
  }

  async #post(target: Target, batch: readonly AlertInstance[], now: number): Promise<{ kind: Outcome; detail: string }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (target.authorization !== undefined) headers.authorization = target.authorization;
    try {
      const res = await this.#fetch(target.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(this.body(batch, now)),
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      const text = (await res.text()).slice(0, 200);
      if (res.ok) return { kind: 'success', detail: '' };
      return { kind: res.status >= 400 && res.status < 500 ? 'rejected' : 'error', detail: `HTTP ${res.status}${text ? `: ${text}` : ''}` };
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      return { kind: 'error', detail: `${error instanceof Error ? error.message : String(error)}${cause}` };
    }
  }

  // Logged once per outage, not on every tick; the counter shows every failed attempt.
  #failed(target: Target, detail: string, pending: number): void {
    if (target.failing) return;
    target.failing = true;
    this.#options.log(
      'warn',
      { alertmanager: target.name, error: detail, alerts: pending },
      `Alertmanager ${target.name} did not accept ${pending} alert(s): ${detail}; they are sent again on the next evaluation (check alerts.alertmanagers and that Alertmanager is up)`,
    );
  }
}
