// Turn a classified record into its typed event, in place (parsing a line allocates one event object),
// lifting the type's own properties from the message or fields.
import { parseGoDuration } from '../../go/index.js';
import type {
  ConfigErrorEvent,
  ConfigUpdatedEvent,
  ConnectorIdEvent,
  FallbackEvent,
  FieldValue,
  InitialProtocolEvent,
  LogEvent,
  MetricsServerEvent,
  OriginErrorEvent,
  RegisteredEvent,
  RetryingEvent,
  ShutdownEvent,
  StartingEvent,
  VersionEvent,
} from './event.js';
import type { Draft, ParsedLine } from './record.js';

/** Sets the record's type; the caller sets that type's required properties right after. */
export function become<E extends LogEvent>(record: ParsedLine, type: E['type']): Draft<E> {
  record.type = type;
  return record as unknown as Draft<E>;
}

/** A string field, or a number field written without quotes (zerolog console loses the difference). */
function text(value: FieldValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  return typeof value === 'number' ? String(value) : undefined;
}

function integer(value: FieldValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** Event types that add nothing to the record. */
export type SimpleType =
  | 'unregistered'
  | 'connection_lost'
  | 'serve_error'
  | 'dial_error'
  | 'register_error'
  | 'terminated'
  | 'request_error'
  | 'fatal';

/** `registered`, or undefined without a slot number: the slot is what a registration is about. */
export function registered(record: ParsedLine, connectionId?: string, protocol?: string): LogEvent | undefined {
  const connIndex = record.connIndex;
  if (connIndex === undefined) return undefined;
  const location = text(record.fields.location);
  const id = connectionId ?? text(record.fields.connection);
  const proto = protocol ?? text(record.fields.protocol);
  const event = become<RegisteredEvent>(record, 'registered');
  event.connIndex = connIndex;
  if (id !== undefined) event.connectionId = id;
  if (location !== undefined) event.location = location;
  if (proto !== undefined) event.protocol = proto;
  return event;
}

/** `starting`, with the `tunnelID` field. */
export function starting(record: ParsedLine): LogEvent {
  const tunnelId = text(record.fields.tunnelID);
  const event = become<StartingEvent>(record, 'starting');
  if (tunnelId !== undefined) event.tunnelId = tunnelId;
  return event;
}

/** `config_updated`, with `version` and the `config` JSON text as logged. */
export function configUpdated(record: ParsedLine): LogEvent {
  const version = integer(record.fields.version);
  const config = record.fields.config;
  const event = become<ConfigUpdatedEvent>(record, 'config_updated');
  if (version !== undefined) event.version = version;
  if (typeof config === 'string') event.configJson = config;
  return event;
}

/** `config_error`, with `version`. */
export function configError(record: ParsedLine): LogEvent {
  const version = integer(record.fields.version);
  const event = become<ConfigErrorEvent>(record, 'config_error');
  if (version !== undefined) event.version = version;
  return event;
}

/** `shutdown` in the given phase, with the signal name for `signal`. */
export function shutdown(record: ParsedLine, phase: ShutdownEvent['phase'], signal?: string): LogEvent {
  const event = become<ShutdownEvent>(record, 'shutdown');
  event.phase = phase;
  if (signal !== undefined && signal !== '') event.signal = signal;
  return event;
}

/** Whole seconds written as `<digits>s`, the common case, without the general duration parser. */
function wholeSeconds(written: string): number | undefined {
  if (written.length < 2 || written.length > 10 || !written.endsWith('s')) return undefined;
  for (let i = 0; i < written.length - 1; i++) {
    const c = written.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  return Number(written.slice(0, -1)) * 1000;
}

/** `retrying` with the "up to" delay: a Go duration, or before 2022.10.1 `<dur> seconds`. */
export function retrying(record: ParsedLine, written: string): LogEvent {
  const trimmed = written.endsWith(' seconds') ? written.slice(0, -' seconds'.length).trim() : written;
  const delayMs =
    wholeSeconds(trimmed) ??
    parseGoDuration(trimmed) ??
    (/^\d+(?:\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : undefined);
  const event = become<RetryingEvent>(record, 'retrying');
  if (delayMs !== undefined) event.delayMs = delayMs;
  return event;
}

/** `fallback` to the protocol written in the message. */
export function fallback(record: ParsedLine, protocol: string): LogEvent {
  const event = become<FallbackEvent>(record, 'fallback');
  event.protocol = protocol;
  return event;
}

/** `initial_protocol` from the message. */
export function initialProtocol(record: ParsedLine, protocol: string): LogEvent {
  const event = become<InitialProtocolEvent>(record, 'initial_protocol');
  event.protocol = protocol;
  return event;
}

/** `version`, with the checksum when one was written. */
export function version(record: ParsedLine, written: string, checksum: string | undefined): LogEvent {
  const event = become<VersionEvent>(record, 'version');
  event.version = written;
  if (checksum !== undefined && checksum !== '') event.checksum = checksum;
  return event;
}

/** `connector_id` from the message. */
export function connectorId(record: ParsedLine, id: string): LogEvent {
  const event = become<ConnectorIdEvent>(record, 'connector_id');
  event.connectorId = id;
  return event;
}

/** `metrics_server`, the address without the `/metrics` path. */
export function metricsServer(record: ParsedLine, written: string): LogEvent {
  const event = become<MetricsServerEvent>(record, 'metrics_server');
  event.address = written.endsWith('/metrics') ? written.slice(0, -'/metrics'.length) : written;
  return event;
}

/** `origin_error`, with the request's origin service, ingress rule and ray ID. */
export function originError(record: ParsedLine): LogEvent {
  const { originService, ingressRule, cfRay } = record.fields;
  const service = text(originService);
  const rule = integer(ingressRule);
  const ray = text(cfRay);
  const event = become<OriginErrorEvent>(record, 'origin_error');
  if (service !== undefined) event.originService = service;
  if (rule !== undefined) event.ingressRule = rule;
  if (ray !== undefined) event.cfRay = ray;
  return event;
}
