// The local view: each cycle GETs the connector's /ready and /metrics from its metrics server, in parallel, and then
// /config when someone listens and its version may have moved, each under its own short timeout and span. A request
// that fails becomes an observation with `ok: false` whose error names the URL; the collector itself does not throw.
import { connectAddress, parseExposition, readConnectorMetrics } from '../cloudflared/metrics/index.js';
import { parseJsonObject } from '../cloudflared/log/index.js';
import type { MetricsObservation, Observation, ReadyObservation } from '../state/index.js';
import { inSpan } from '../telemetry/tracing/index.js';
import { errorChain, type Collector, type CollectContext } from './collector.js';
import { type LocalAnswer, localGet, LocalGetTimeout } from './local-get.js';

export interface ConnectorCollectorOptions {
  /** host:port of cloudflared's metrics server; undefined until known (the cycle then produces nothing). */
  readonly metricsAddress: () => string | undefined;
  /** settings.cloudflared.pollInterval. */
  readonly intervalMs: number;
  /** Per-request timeout (default 80 % of the interval, at most 5 s, so it fires before the run's deadline). */
  readonly timeoutMs?: number;
  readonly get?: typeof localGet;
  /**
   * The connector's current configuration from /config (`version` -1 for a locally managed tunnel), e.g. to
   * derive origin targets. Called on the first good answer and whenever the body changes (asked again once the
   * metrics show another config version); without it /config is not fetched. `body` is the raw answer, for parsers
   * that take text (parseCloudflaredConfig, shape `endpoint`).
   */
  readonly onConfig?: (version: number, body: string) => void;
}

/** Bodies beyond this are not cloudflared's (its /metrics is ~100 kB); reading stops there. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const TOO_LARGE_HINT = "is cloudflared.metrics the connector's metrics address?";

/** The parts of cloudflared's /ready body used here; undefined when the body is not that JSON. */
export function parseReadyBody(text: string): { readyConnections: number; connectorId?: string } | undefined {
  const body = parseJsonObject(text);
  if (body === undefined) return undefined;
  const { readyConnections, connectorId } = body;
  if (typeof readyConnections !== 'number' || !Number.isInteger(readyConnections) || readyConnections < 0) return undefined;
  return typeof connectorId === 'string' && connectorId !== '' ? { readyConnections, connectorId } : { readyConnections };
}

/** cloudflared's `{"version":N,"config":{...}}`; undefined for anything else. */
export function parseConfigBody(text: string): { version: number; config: unknown } | undefined {
  const body = parseJsonObject(text);
  if (body === undefined) return undefined;
  const { version, config } = body;
  if (typeof version !== 'number' || !Number.isInteger(version) || typeof config !== 'object' || config === null) return undefined;
  return { version, config };
}

const snippet = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

class ConnectorCollector implements Collector {
  readonly name = 'connector';
  readonly intervalMs: number;
  readonly #o: ConnectorCollectorOptions;
  readonly #timeoutMs: number;
  readonly #getter: typeof localGet;
  #lastConfigText: string | undefined;
  #lastConfigVersion: number | undefined;

  constructor(options: ConnectorCollectorOptions) {
    this.#o = options;
    this.intervalMs = options.intervalMs;
    this.#timeoutMs = options.timeoutMs ?? Math.max(1, Math.min(5000, Math.floor(options.intervalMs * 0.8)));
    this.#getter = options.get ?? localGet;
  }

  async collect(ctx: CollectContext): Promise<readonly Observation[]> {
    const address = this.#o.metricsAddress();
    if (address === undefined) return [];
    const base = `http://${connectAddress(address)}`;
    const [ready, metrics] = await Promise.all([this.#ready(`${base}/ready`, ctx), this.#metrics(`${base}/metrics`, ctx)]);
    if (this.#o.onConfig && this.#configMayHaveChanged(metrics)) await this.#config(`${base}/config`, ctx, this.#o.onConfig);
    return [ready, metrics];
  }

  /**
   * /config is asked again only when it may have changed: cloudflared_orchestration_config_version is the version
   * /config carries (0 in the metric for a local config, whose /config says -1 and never changes while it runs).
   * Without that metric, or before a first good /config, every cycle asks.
   */
  #configMayHaveChanged(metrics: MetricsObservation): boolean {
    const served = metrics.ok ? metrics.metrics.configVersion : undefined;
    return this.#lastConfigVersion === undefined || served === undefined || served !== Math.max(0, this.#lastConfigVersion);
  }

  async #ready(url: string, ctx: CollectContext): Promise<ReadyObservation> {
    try {
      const ready = await this.#get(url, ctx.signal, (answer) => {
        const body = parseReadyBody(answer.text);
        if (!body) throw new Error(`GET ${url} answered HTTP ${String(answer.status)} with a body that is not cloudflared's /ready JSON: ${snippet(answer.text)}`);
        return { status: answer.status, ...body };
      });
      return { kind: 'ready', at: ctx.now(), ok: true, ...ready };
    } catch (error) {
      return { kind: 'ready', at: ctx.now(), ok: false, error: errorChain(error) };
    }
  }

  async #metrics(url: string, ctx: CollectContext): Promise<MetricsObservation> {
    try {
      const metrics = await this.#get(url, ctx.signal, (answer) => {
        if (answer.status !== 200) throw new Error(`GET ${url} answered HTTP ${String(answer.status)}: ${snippet(answer.text)}`);
        // A partly malformed exposition still carries metrics; its bad lines are the parser's concern.
        return readConnectorMetrics(parseExposition(answer.text));
      });
      return { kind: 'metrics', at: ctx.now(), ok: true, metrics };
    } catch (error) {
      return { kind: 'metrics', at: ctx.now(), ok: false, error: errorChain(error) };
    }
  }

  /** A failed /config only marks its span; the last good config stays in force with the caller. */
  async #config(url: string, ctx: CollectContext, onConfig: NonNullable<ConnectorCollectorOptions['onConfig']>): Promise<void> {
    let answer: { text: string; version: number };
    try {
      answer = await this.#get(url, ctx.signal, ({ status, text }) => {
        const body = status === 200 ? parseConfigBody(text) : undefined;
        if (!body) throw new Error(`GET ${url} answered HTTP ${String(status)} with a body that is not cloudflared's /config JSON: ${snippet(text)}`);
        return { text, version: body.version };
      });
    } catch {
      return;
    }
    this.#lastConfigVersion = answer.version;
    if (answer.text === this.#lastConfigText) return;
    this.#lastConfigText = answer.text;
    onConfig(answer.version, answer.text);
  }

  /** One GET in its own span, its answer checked by `read` there too; rejects with an error naming the URL. */
  #get<T>(url: string, signal: AbortSignal, read: (answer: LocalAnswer) => T): Promise<T> {
    return inSpan(`GET ${new URL(url).pathname}`, { 'url.full': url }, async (span) => {
      let answer: LocalAnswer;
      try {
        answer = await this.#getter(url, { signal, timeoutMs: this.#timeoutMs, maxBytes: MAX_BODY_BYTES, tooLargeHint: TOO_LARGE_HINT });
        span.setAttribute('http.response.status_code', answer.status);
      } catch (error) {
        if (error instanceof LocalGetTimeout) throw new Error(`GET ${url} ${error.message}`, { cause: error });
        if (signal.aborted) throw new Error(`GET ${url} aborted: ${errorChain(signal.reason)}`, { cause: error });
        throw new Error(`GET ${url} failed: ${errorChain(error)}`, { cause: error });
      }
      return read(answer);
    });
  }
}

/** The connector collector (name `connector`). */
export function connectorCollector(options: ConnectorCollectorOptions): Collector {
  return new ConnectorCollector(options);
}
