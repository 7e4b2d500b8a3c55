// The edge view: each cycle asks the Cloudflare API (through the `cloudflare` SDK) for the tunnel's status and
// the connectors it sees, and reports one EdgeObservation. tunnelwatch paces itself: the SDK never retries,
// every cycle costs two requests from this replica's ApiBudget, and after a 429 or 503 with Retry-After no
// call is made before that time has passed. Errors name the call and the HTTP status; the token never
// appears in them (it is also scrubbed from anything the API sends back).
import type { APIError as SdkApiError } from 'cloudflare';
import type { Client } from 'cloudflare/resources/zero-trust/tunnels/cloudflared/connections';
import type { Cloudflared } from 'cloudflare/resources/zero-trust/tunnels/cloudflared/cloudflared';
import { trace, type Attributes } from '@opentelemetry/api';
import type { Secret } from '../base/index.js';
import { TUNNEL_STATUSES, type EdgeConnection, type EdgeConnector, type EdgeObservation, type TunnelStatus } from '../state/index.js';
import { inSpan } from '../telemetry/tracing/index.js';
import type { ApiBudget } from './api-budget.js';
import { errorChain, type CollectContext, type Collector } from './collector.js';
import { boundedFetch } from './bounded-fetch.js';
import { tunnelClient, tunnelSdk } from './cloudflare-sdk.js';

const { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } = tunnelSdk();

export interface EdgeCollectorOptions {
  readonly apiToken: Secret;
  readonly accountId: string;
  readonly tunnelId: string;
  /** This replica's connector id (from /ready or the log), when known; recorded on the cycle's span. */
  readonly connectorId: () => string | undefined;
  /** settings.edge.baseUrl. */
  readonly baseUrl: string;
  readonly budget: ApiBudget;
  /** settings.edge.pollInterval. */
  readonly intervalMs: number;
  /** Per-request timeout (default 80 % of the interval, at most 10 s). */
  readonly timeoutMs?: number;
}

export interface EdgeCollector extends Collector {
  /** The interval actually used: the poll interval, stretched while the API budget is short (a metric). */
  readonly effectiveIntervalSeconds: number;
  /** Wall-clock ms before which no call is made (after a 429/503 with Retry-After), if any. */
  readonly notBefore: number | undefined;
  collect(ctx: CollectContext): Promise<readonly EdgeObservation[]>;
}

/** Requests per cycle: the tunnel and its connections. */
export const EDGE_REQUESTS_PER_CYCLE = 2;
/** Far above a real answer for one tunnel (a few kilobytes, a few hundred connections at most). */
const MAX_ANSWER_BYTES = 8 << 20;
/** A Retry-After longer than this is taken as this, so one odd header cannot blind the edge view for long. */
const MAX_RETRY_AFTER_MS = 3_600_000;
const STATUSES: ReadonlySet<string> = new Set<TunnelStatus>(TUNNEL_STATUSES);

const CALL_TUNNEL = 'zeroTrust.tunnels.cloudflared.get';
const CALL_CONNECTIONS = 'zeroTrust.tunnels.cloudflared.connections.get';

/** Milliseconds a response asks us to wait (`retry-after-ms`, then `retry-after` as seconds or a date). */
export function retryAfterMs(headers: Headers | undefined, now: number): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_AFTER_MS);
  const text = headers?.get('retry-after')?.trim();
  if (text === undefined || text === '') return undefined;
  const seconds = Number(text);
  const wait = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(text) - now;
  return Number.isFinite(wait) ? Math.min(Math.max(0, wait), MAX_RETRY_AFTER_MS) : undefined;
}

function mapConnection(conn: Client.Conn): EdgeConnection {
  // SDK 7.1+ marks is_pending_reconnect deprecated, but the API still sends it (reference §10.1).
  const pending = (conn as { is_pending_reconnect?: unknown }).is_pending_reconnect === true;
  return {
    id: conn.id ?? conn.uuid ?? '',
    colo: conn.colo_name ?? '',
    ...(conn.opened_at === undefined ? {} : { openedAt: conn.opened_at }),
    ...(conn.origin_ip === undefined ? {} : { originIp: conn.origin_ip }),
    pendingReconnect: pending,
  };
}

export function mapConnector(client: Client): EdgeConnector {
  return {
    id: client.id ?? '',
    ...(client.version === undefined ? {} : { version: client.version }),
    ...(client.arch === undefined ? {} : { arch: client.arch }),
    ...(client.run_at === undefined ? {} : { runAt: client.run_at }),
    connections: (client.conns ?? []).map(mapConnection),
  };
}

const seconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));

class EdgeCollectorImpl implements EdgeCollector {
  readonly name = 'edge';
  readonly #o: EdgeCollectorOptions;
  readonly #timeoutMs: number;
  #tunnels: Cloudflared | undefined;
  #effectiveMs: number;
  #notBefore: number | undefined;
  #waitReason = '';

  constructor(options: EdgeCollectorOptions) {
    this.#o = options;
    this.#timeoutMs = options.timeoutMs ?? Math.max(1, Math.min(10_000, Math.floor(options.intervalMs * 0.8)));
    this.#effectiveMs = options.intervalMs;
  }

  get intervalMs(): number {
    return this.#effectiveMs;
  }

  get effectiveIntervalSeconds(): number {
    return this.#effectiveMs / 1000;
  }

  get notBefore(): number | undefined {
    return this.#notBefore;
  }

  async collect(ctx: CollectContext): Promise<readonly EdgeObservation[]> {
    const at = ctx.now();
    if (this.#notBefore !== undefined && at < this.#notBefore) {
      return [this.#failed(ctx, `${this.#waitReason}, next try in ${seconds(this.#notBefore - at)}s`)];
    }
    const { budget } = this.#o;
    if (!Number.isFinite(budget.nextAvailableAt(EDGE_REQUESTS_PER_CYCLE, at))) {
      return [this.#failed(ctx, `edge.budgetShare allows ${String(budget.allowance)} API requests per 5 minutes, too few for one poll (${String(EDGE_REQUESTS_PER_CYCLE)} requests); raise edge.budgetShare`)];
    }
    if (!budget.tryTake(EDGE_REQUESTS_PER_CYCLE, at)) {
      // Short of budget: skip quietly (the last edge observation stands) and wait until it has refilled.
      this.#stretch(at);
      return [];
    }
    try {
      return [await this.#poll(ctx)];
    } finally {
      this.#stretch(at);
    }
  }

  /** The next run waits for the budget to hold a cycle's requests again, never less than the poll interval. */
  #stretch(at: number): void {
    const ready = this.#o.budget.nextAvailableAt(EDGE_REQUESTS_PER_CYCLE, at);
    this.#effectiveMs = Math.max(this.#o.intervalMs, Number.isFinite(ready) ? ready - at : this.#o.intervalMs);
  }

  async #poll(ctx: CollectContext): Promise<EdgeObservation> {
    const { accountId, tunnelId } = this.#o;
    const connectorId = this.#o.connectorId();
    const tunnels = (this.#tunnels ??= tunnelClient({
      apiToken: this.#o.apiToken.reveal(),
      // Explicit nulls keep CLOUDFLARE_API_KEY/EMAIL from the environment out of the requests.
      apiKey: null,
      apiEmail: null,
      userServiceKey: null,
      baseURL: this.#o.baseUrl,
      maxRetries: 0,
      timeout: this.#timeoutMs,
      logLevel: 'off',
      fetch: boundedFetch(MAX_ANSWER_BYTES),
    }));
    const options = { signal: ctx.signal, timeout: this.#timeoutMs, maxRetries: 0 };
    const attributes: Attributes = { 'cloudflare.account_id': accountId, 'cloudflare.tunnel_id': tunnelId };
    const [tunnel, connections] = await Promise.allSettled([
      this.#call(CALL_TUNNEL, attributes, () => tunnels.get(tunnelId, { account_id: accountId }, options)),
      this.#call(CALL_CONNECTIONS, attributes, async () => (await tunnels.connections.get(tunnelId, { account_id: accountId }, options)).result),
    ]);
    if (tunnel.status === 'rejected' || connections.status === 'rejected') {
      const reasons = [tunnel, connections].flatMap((r): unknown[] => (r.status === 'rejected' ? [r.reason] : []));
      return this.#failed(ctx, this.#describeFailure(reasons, ctx.now()));
    }
    // The SDK's types promise a tunnel object; an API (or a proxy) answering `result: null` breaks that promise.
    const answered: unknown = tunnel.value;
    if (answered === null || typeof answered !== 'object') return this.#failed(ctx, `${CALL_TUNNEL} answered result ${JSON.stringify(answered ?? null)}, not a tunnel`);
    const status = tunnel.value.status;
    if (status === undefined || !STATUSES.has(status)) {
      return this.#failed(ctx, `${CALL_TUNNEL} answered an unknown tunnel status ${JSON.stringify(status ?? null)}`);
    }
    const connectors = connections.value.map(mapConnector);
    trace.getActiveSpan()?.setAttributes({ 'tunnelwatch.connector_id': connectorId ?? '', 'tunnelwatch.connector_listed': connectors.some((c) => c.id === connectorId) });
    return {
      kind: 'edge',
      at: ctx.now(),
      ok: true,
      tunnelStatus: status,
      ...(tunnel.value.name === undefined ? {} : { tunnelName: tunnel.value.name }),
      connectors,
    };
  }

  #call<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
    return inSpan(`cloudflare ${name}`, attributes, async (span) => {
      try {
        return await fn();
      } catch (error) {
        const status = apiStatus(error)?.status;
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        throw new Error(this.#scrub(this.#describeCall(name, error)), { cause: error });
      }
    });
  }

  /**
   * The observation's error: the first failed call's. A 429/503 with Retry-After on any call also holds back
   * the following cycles until then.
   */
  #describeFailure(reasons: readonly unknown[], now: number): string {
    const first = reasons[0];
    // #call's message already describes the SDK error it wraps; its cause would only add the raw body.
    const text = first instanceof Error ? first.message : errorChain(first);
    let wait: { ms: number; status: number } | undefined;
    for (const reason of reasons) {
      const answer = apiStatus(reason instanceof Error ? reason.cause : undefined);
      if (answer?.status !== 429 && answer?.status !== 503) continue;
      const ms = retryAfterMs(answer.headers, now);
      if (ms !== undefined && ms > (wait?.ms ?? -1)) wait = { ms, status: answer.status };
    }
    if (!wait) return text;
    this.#notBefore = now + wait.ms;
    this.#waitReason = wait.status === 429 ? 'rate limited by the Cloudflare API (HTTP 429)' : 'Cloudflare API unavailable (HTTP 503)';
    return `${text}; no call before its Retry-After of ${seconds(wait.ms)}s`;
  }

  #describeCall(name: string, error: unknown): string {
    if (error instanceof APIConnectionTimeoutError) return `${name} timed out after ${String(this.#timeoutMs / 1000)}s (${this.#o.baseUrl})`;
    if (error instanceof APIUserAbortError) return `${name} aborted`;
    if (error instanceof APIConnectionError) return `${name} could not reach ${this.#o.baseUrl}: ${errorChain(error.cause ?? error)}`;
    const answer = apiStatus(error);
    if (answer) {
      const errors = answer.errors.map((e) => [e.code, e.message].filter((x) => x !== undefined).join(' ')).join('; ');
      return `${name} answered HTTP ${String(answer.status)}${errors === '' ? '' : ` (${errors})`}${hint(answer.status)}`;
    }
    return `${name} failed: ${errorChain(error)}`;
  }

  #scrub(text: string): string {
    const token = this.#o.apiToken.reveal();
    return token === '' ? text : text.split(token).join('<secret>');
  }

  #failed(ctx: CollectContext, error: string): EdgeObservation {
    return { kind: 'edge', at: ctx.now(), ok: false, error: this.#scrub(error) };
  }
}

/** Status, headers and API errors of an SDK error that carries an HTTP answer. */
function apiStatus(error: unknown): { status: number; headers: Headers | undefined; errors: readonly { code?: number; message?: string }[] } | undefined {
  if (!(error instanceof APIError)) return undefined;
  const { status, headers, errors } = error as SdkApiError;
  return status === undefined ? undefined : { status, headers, errors };
}

function hint(status: number): string {
  if (status === 401 || status === 403) return '; check edge.apiToken (it needs Cloudflare Tunnel Read on the account)';
  if (status === 404) return '; check edge.accountId and edge.tunnelId';
  return '';
}

/** The edge collector (name `edge`). */
export function edgeCollector(options: EdgeCollectorOptions): EdgeCollector {
  return new EdgeCollectorImpl(options);
}
