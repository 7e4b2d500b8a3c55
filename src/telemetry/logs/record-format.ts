// A record in the field names a log platform expects (logs.format), applied where the record becomes its JSON line:
// the pipeline (stdout, the Loki spool, incident bundles) and the syslog shipper (MSG). The serialiser is chosen
// once at start; pino's is JSON.stringify of the record as it is, so the default line is the same bytes as ever
// and costs no more. Only names move: every string value is kept verbatim, and every key but the record's fixed
// ones (level, time, msg, source, labels, trace ids, event, error, raw: none named like a secret), so the pipeline's
// redaction check on the formatted line sees whatever a secret could hide in. Pure.
import type { Settings } from '../../config/index.js';
import { levelName, type LogRecord } from './log-record.js';

export type LogFormat = Settings['logs']['format'];

/** One record to its JSON line, redacted before it is called. */
export type RecordSerialiser = (record: LogRecord) => string;

const SERVICE_NAME = 'tunnelwatch';

/** The ECS release the field names follow; all of them are core or extended fields unchanged across 8.x. */
export const ECS_VERSION = '8.11.0';

/** OTel severity per pino level name: the first number of each range of the log data model. */
const SEVERITY: Readonly<Record<string, readonly [text: string, number: number]>> = {
  trace: ['TRACE', 1], debug: ['DEBUG', 5], info: ['INFO', 9], warn: ['WARN', 13], error: ['ERROR', 17], fatal: ['FATAL', 21],
};

// The identity labels: resource attributes in OTel (the tunnel id and replica under the keys the trace resource
// uses, so logs and traces of a replica share them; the zone under its semantic-convention name), `labels.*` in
// ECS. `version` is cloudflared's, never tunnelwatch's service.version, so both formats say so.
const OTEL_RESOURCE = new Map([
  ['tunnel_id', 'tunnelwatch.tunnel.id'],
  ['replica', 'tunnelwatch.replica'],
  ['zone', 'cloud.availability_zone'],
  ['connector_id', 'tunnelwatch.connector.id'],
  ['version', 'tunnelwatch.cloudflared.version'],
]);
const ECS_LABEL = new Map([
  ['tunnel_id', 'tunnel_id'],
  ['replica', 'replica'],
  ['zone', 'zone'],
  ['connector_id', 'connector_id'],
  ['version', 'cloudflared_version'],
]);

/** ISO 8601 UTC with milliseconds; nothing for a time no Date holds (a record read back from a spool is not checked). */
function isoTime(ms: number): string | undefined {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** pino's shape: the record as it is. */
export const pinoLine: RecordSerialiser = (record) => JSON.stringify(record);

/**
 * The OpenTelemetry log data model as one flat JSON object (the field names of OTLP's LogRecord, camelCase, values
 * plain JSON rather than OTLP's AnyValue wrappers). `timestamp` is ISO 8601, not OTLP-JSON's `timeUnixNano`: the
 * line is no OTLP envelope a collector takes as is, it is read by JSON parsers (Loki's `| json`, the collector's
 * filelog receiver, Vector, Elastic), all of which parse ISO 8601 and none of which needs a nanosecond string of a
 * millisecond clock. Level, time and message become the model's fields, the trace context `traceId`/`spanId`, the
 * identity labels the resource, and everything else (`source`, cloudflared's event, fields and `raw`) attributes
 * under the record's own names.
 */
export function otelRecord(record: LogRecord, serviceVersion: string): Record<string, unknown> {
  const resource: Record<string, unknown> = { 'service.name': SERVICE_NAME, 'service.version': serviceVersion };
  const attributes: Record<string, unknown> = {};
  let traceId: string | undefined;
  let spanId: string | undefined;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (key === 'level' || key === 'time' || key === 'msg') continue;
    const resourceKey = OTEL_RESOURCE.get(key);
    if (key === 'trace_id' && typeof value === 'string') traceId = value;
    else if (key === 'span_id' && typeof value === 'string') spanId = value;
    else if (resourceKey !== undefined && typeof value === 'string') resource[resourceKey] = value;
    else attributes[key] = value;
  }
  const [severityText, severityNumber] = SEVERITY[levelName(record.level)] ?? ['INFO', 9];
  const out: Record<string, unknown> = { timestamp: isoTime(record.time), severityText, severityNumber, body: record.msg };
  if (traceId !== undefined) out.traceId = traceId;
  if (spanId !== undefined) out.spanId = spanId;
  out.attributes = attributes;
  out.resource = resource;
  return out;
}

/**
 * Elastic Common Schema as ecs-logging writes it: `@timestamp`, `log.level`, `message` first, then `ecs.version`,
 * `service.*` and `event.dataset` (which stream: `tunnelwatch.cloudflared`, or ecs-logging's default `tunnelwatch.log`
 * for tunnelwatch's own), dotted top-level keys as the ecs-logging libraries write them. Fields ECS defines keep their meaning: the event's type is
 * `event.action`, cloudflared's original line `event.original`, its error `error.message`, the trace context
 * `trace.id`/`span.id`, the identity `labels.*`; the rest sits under the source's own namespace (`cloudflared.*`
 * or `tunnelwatch.*`) with the record's names, so nothing collides with an ECS field.
 */
export function ecsRecord(record: LogRecord, serviceVersion: string): Record<string, unknown> {
  const namespace = record.source === 'cloudflared' ? 'cloudflared' : 'tunnelwatch';
  const labels: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  const ecs: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (key === 'level' || key === 'time' || key === 'msg' || key === 'source') continue;
    const label = ECS_LABEL.get(key);
    if (typeof value !== 'string') rest[key] = value;
    else if (label !== undefined) labels[label] = value;
    else if (key === 'trace_id') ecs['trace.id'] = value;
    else if (key === 'span_id') ecs['span.id'] = value;
    else if (key === 'event') ecs['event.action'] = value;
    else if (key === 'error') ecs['error.message'] = value;
    else if (key === 'raw') ecs['event.original'] = value;
    else rest[key] = value;
  }
  const out: Record<string, unknown> = {
    '@timestamp': isoTime(record.time),
    'log.level': levelName(record.level),
    message: record.msg,
    'ecs.version': ECS_VERSION,
    'service.name': SERVICE_NAME,
    'service.version': serviceVersion,
    'event.dataset': namespace === 'cloudflared' ? `${SERVICE_NAME}.cloudflared` : `${SERVICE_NAME}.log`,
  };
  for (const key of ['event.action', 'trace.id', 'span.id', 'error.message'] as const) if (ecs[key] !== undefined) out[key] = ecs[key];
  if (Object.keys(labels).length > 0) out.labels = labels;
  if (Object.keys(rest).length > 0) out[namespace] = rest;
  // Last, as `raw` is in pino's shape: the longest field, and the one a reader needs least often.
  if (ecs['event.original'] !== undefined) out['event.original'] = ecs['event.original'];
  return out;
}

/** The serialiser of `format`, chosen once; `serviceVersion` is tunnelwatch's own (service.version). */
export function recordSerialiser(format: LogFormat, serviceVersion: string): RecordSerialiser {
  switch (format) {
    case 'pino':
      return pinoLine;
    case 'otel':
      return (record) => JSON.stringify(otelRecord(record, serviceVersion));
    case 'ecs':
      return (record) => JSON.stringify(ecsRecord(record, serviceVersion));
  }
}
