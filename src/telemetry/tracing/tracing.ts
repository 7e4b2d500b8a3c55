// Optional OpenTelemetry tracing: off unless the operator asks for it with the standard OTEL_* variables.
// NodeSDK does the work (exporter by protocol, sampler, batch processor, resource detectors); this file decides
// whether to start it, rejects bad values up front with a message naming the variable, and bounds shutdown.
import { context, diag, propagation, trace } from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';

type Env = Record<string, string | undefined>;

export interface TracingOptions {
  /** Where OTEL_* settings come from (normally process.env). */
  env: Env;
  /** service.name when neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES sets one; default `tunnelwatch`. */
  serviceName?: string;
  serviceVersion: string;
  /** Extra resource attributes such as the tunnel id and replica; OTEL_RESOURCE_ATTRIBUTES can override them. */
  resourceAttributes?: Record<string, string>;
  /** Upper bound for the final flush in shutdown(); default 5000 ms. */
  shutdownTimeoutMs?: number;
}

export interface Tracing {
  enabled: boolean;
  /** One line for the startup log; never contains headers, credentials or query strings. */
  describe: string;
  /** Flushes buffered spans, waiting at most the shutdown timeout; never rejects. Safe to call twice. */
  shutdown(): Promise<void>;
}

/** A bad OTEL_* value; the message names each variable and its valid values. */
export class TracingConfigError extends Error {
  override name = 'TracingConfigError';
}

const DEFAULT_SERVICE_NAME = 'tunnelwatch';
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;
const EXPORTERS = ['otlp', 'console', 'zipkin', 'none'];
const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'];
const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];
const COMPRESSIONS = ['none', 'gzip'];
const POSITIVE_NUMBERS = [
  'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_BSP_EXPORT_TIMEOUT', 'OTEL_BSP_MAX_QUEUE_SIZE', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
];

/** Blank counts as unset; other values are not trimmed, as in the SDK, so one it would ignore (" grpc") is refused. */
function value(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw;
}

function list(env: Env, name: string): string[] {
  return (value(env, name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

function oneOf(env: Env, name: string, allowed: readonly string[], problems: string[]): void {
  const v = value(env, name);
  if (v !== undefined && !allowed.includes(v)) problems.push(`${name}="${v}" is not one of ${allowed.join(', ')}`);
}

function parseUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

/** Endpoints are not echoed: they may carry credentials. */
function httpUrl(env: Env, name: string, problems: string[]): void {
  const v = value(env, name);
  if (v === undefined) return;
  const scheme = parseUrl(v)?.protocol;
  if (scheme !== 'http:' && scheme !== 'https:') {
    problems.push(`${name} is not an http(s) URL; set it like http://otel-collector:4318`);
  }
}

function resourceAttributesProblem(raw: string): string | undefined {
  for (const entry of raw.split(',').filter((e) => e.trim() !== '')) {
    const parts = entry.split('=');
    const key = parts[0]?.trim() ?? '';
    if (parts.length !== 2 || key === '') {
      return `OTEL_RESOURCE_ATTRIBUTES has an entry that is not key=value (percent-encode ',' and '=' inside keys and values)`;
    }
    try {
      decodeURIComponent(entry);
    } catch {
      return `OTEL_RESOURCE_ATTRIBUTES entry for "${key}" has a bad percent-encoding`;
    }
  }
  return undefined;
}

/** Every problem with the trace settings, so the operator can fix them in one go. */
function problemsOf(env: Env): string[] {
  const problems: string[] = [];
  const exporters = list(env, 'OTEL_TRACES_EXPORTER');
  const unknown = exporters.filter((e) => !EXPORTERS.includes(e));
  if (unknown.length > 0) problems.push(`OTEL_TRACES_EXPORTER has "${unknown.join(',')}"; use a comma list of ${EXPORTERS.join(', ')}`);
  else if (exporters.includes('none') && exporters.length > 1) problems.push(`OTEL_TRACES_EXPORTER combines "none" with other exporters; use either none or a list of otlp, console, zipkin`);
  oneOf(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', PROTOCOLS, problems);
  oneOf(env, 'OTEL_EXPORTER_OTLP_PROTOCOL', PROTOCOLS, problems);
  oneOf(env, 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', COMPRESSIONS, problems);
  oneOf(env, 'OTEL_EXPORTER_OTLP_COMPRESSION', COMPRESSIONS, problems);
  httpUrl(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', problems);
  httpUrl(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', problems);
  oneOf(env, 'OTEL_TRACES_SAMPLER', SAMPLERS, problems);
  const ratio = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (ratio !== undefined && value(env, 'OTEL_TRACES_SAMPLER')?.endsWith('traceidratio') && !(Number(ratio) >= 0 && Number(ratio) <= 1)) {
    problems.push(`OTEL_TRACES_SAMPLER_ARG="${ratio}" is not a ratio between 0 and 1`);
  }
  for (const name of POSITIVE_NUMBERS) {
    const v = value(env, name);
    if (v !== undefined && !(Number(v) > 0)) problems.push(`${name}="${v}" is not a number greater than 0`);
  }
  const attributes = value(env, 'OTEL_RESOURCE_ATTRIBUTES');
  const attributesProblem = attributes === undefined ? undefined : resourceAttributesProblem(attributes);
  if (attributesProblem !== undefined) problems.push(attributesProblem);
  return problems;
}

/** Why tracing stays off, or undefined when it should start. Throws on a bad OTEL_SDK_DISABLED. */
function offReason(env: Env): string | undefined {
  const disabled = value(env, 'OTEL_SDK_DISABLED')?.trim().toLowerCase();
  if (disabled !== undefined && disabled !== 'true' && disabled !== 'false') {
    throw new TracingConfigError(`invalid OpenTelemetry setting: OTEL_SDK_DISABLED="${disabled}" is not true or false`);
  }
  if (disabled === 'true') return 'traces off: OTEL_SDK_DISABLED=true';
  const exporters = list(env, 'OTEL_TRACES_EXPORTER');
  if (exporters.length === 1 && exporters[0] === 'none') return 'traces off: OTEL_TRACES_EXPORTER=none';
  if (exporters.length > 0 || value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') !== undefined || value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== undefined) return undefined;
  return 'traces off: set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_TRACES_EXPORTER) to send traces';
}

/** Only scheme, host, port and path: userinfo and query may hold secrets. */
function safeUrl(raw: string): string {
  const url = new URL(raw);
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Mirrors the SDK's defaults: http gets /v1/traces appended to the base endpoint, grpc does not. */
function describeOn(env: Env, serviceName: string): string {
  const exporters = list(env, 'OTEL_TRACES_EXPORTER');
  const parts = (exporters.length > 0 ? exporters : ['otlp']).map((exporter) => {
    if (exporter !== 'otlp') return exporter;
    const protocol = value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
    const specific = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    const base = value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') ?? (protocol === 'grpc' ? 'http://localhost:4317' : 'http://localhost:4318');
    const url = specific ?? (protocol === 'grpc' ? base : `${base.replace(/\/+$/, '')}/v1/traces`);
    return `otlp ${protocol} to ${safeUrl(url)}`;
  });
  const sampler = value(env, 'OTEL_TRACES_SAMPLER');
  return `traces on: ${parts.join(' and ')} as service ${serviceName}${sampler === undefined ? '' : `, sampler ${sampler}`}`;
}

function serviceNameOf(env: Env, fallback: string, serviceNameKey: string): string {
  const fromAttributes = list(env, 'OTEL_RESOURCE_ATTRIBUTES')
    .map((entry) => entry.split('='))
    .find(([key]) => key?.trim() === serviceNameKey)?.[1];
  return value(env, 'OTEL_SERVICE_NAME') ?? (fromAttributes === undefined ? fallback : decodeURIComponent(fromAttributes.trim()));
}

/**
 * NodeSDK and its exporters read process.env, not our `env`. Construction and start() read every setting
 * synchronously, so for just that moment process.env carries exactly `env`'s OTEL_* variables.
 */
function withOtelEnv<T>(env: Env, build: () => T): T {
  const saved = Object.entries(process.env).filter(([key]) => key.startsWith('OTEL_'));
  const apply = (entries: [string, string | undefined][]): void => {
    for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) Reflect.deleteProperty(process.env, key);
    for (const [key, v] of entries) if (v !== undefined) process.env[key] = v;
  };
  apply(Object.entries(env).filter(([key]) => key.startsWith('OTEL_')));
  try {
    return build();
  } finally {
    apply(saved);
  }
}

function boundedShutdown(sdk: NodeSDK, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => { resolve('timeout'); }, timeoutMs);
    timer.unref();
  });
  const flushed = sdk.shutdown().then(() => 'flushed' as const, (error: unknown) => {
    diag.warn(`tracing shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
    return 'failed' as const;
  });
  return Promise.race([flushed, timeout]).then((outcome) => {
    clearTimeout(timer);
    if (outcome === 'timeout') diag.warn(`tracing shutdown: spans not exported within ${timeoutMs} ms were dropped`);
    // Unregister the globals so spans after shutdown are cheap no-ops and tracing can be started again.
    trace.disable();
    propagation.disable();
    context.disable();
  });
}

/**
 * Starts tracing when the environment asks for it: OTEL_TRACES_EXPORTER set to anything but `none`, or an
 * OTLP endpoint set; OTEL_SDK_DISABLED=true always wins. Rejects with TracingConfigError for a bad value.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const { env } = options;
  const off = offReason(env);
  if (off !== undefined) return { enabled: false, describe: off, shutdown: () => Promise.resolve() };
  const problems = problemsOf(env);
  if (problems.length > 0) throw new TracingConfigError(`invalid OpenTelemetry settings: ${problems.join('; ')}`);

  // Loaded only when tracing is on (otel-sdk.ts says why).
  const { ATTR_SERVICE_NAME, startNodeSdk } = await import('./otel-sdk.js');
  const fallbackName = options.serviceName ?? DEFAULT_SERVICE_NAME;
  // Our values go under the env detector's, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still win.
  const sdk = withOtelEnv(env, () => startNodeSdk(fallbackName, options.serviceVersion, options.resourceAttributes ?? {}));
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    describe: describeOn(env, serviceNameOf(env, fallbackName, ATTR_SERVICE_NAME)),
    shutdown: () => (stopping ??= boundedShutdown(sdk, options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS)),
  };
}
