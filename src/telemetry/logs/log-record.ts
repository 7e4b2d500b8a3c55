// The one record shape every sink receives: pino's (`level` number, `time` ms, `msg`) plus `source`, the
// identity labels, and for cloudflared lines the parsed event and the original line. Pure.
import type { LogEvent, LogLevel } from '../../cloudflared/log/index.js';

export interface LogRecord {
  readonly level: number;
  /** Unix ms when tunnelwatch received or wrote the record (cloudflared's own time is kept in `cf_time`). */
  readonly time: number;
  readonly msg: string;
  readonly source: 'cloudflared' | 'tunnelwatch';
  readonly [field: string]: unknown;
}

/** The labels every record carries; bounded: none of them varies per request. */
export interface RecordLabels {
  tunnel_id?: string;
  connector_id?: string;
  replica?: string;
  zone?: string;
  /** cloudflared's version, once it announced it. */
  version?: string;
}

const PINO_LEVEL: Readonly<Record<LogLevel, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, panic: 60 };

export const LEVEL_NAME: Readonly<Record<number, string>> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export function levelName(level: number): string {
  return LEVEL_NAME[level] ?? (level >= 60 ? 'fatal' : level >= 50 ? 'error' : level >= 40 ? 'warn' : 'info');
}

/** Keeps `labels` in step with what cloudflared announces about itself; returns true when something changed. */
export function learnLabels(labels: RecordLabels, event: LogEvent): boolean {
  if (event.type === 'connector_id' && labels.connector_id !== event.connectorId) {
    labels.connector_id = event.connectorId;
    return true;
  }
  if (event.type === 'version' && labels.version !== event.version) {
    labels.version = event.version;
    return true;
  }
  if (event.type === 'starting' && event.tunnelId !== undefined && labels.tunnel_id !== event.tunnelId) {
    labels.tunnel_id = event.tunnelId;
    return true;
  }
  return false;
}

/**
 * One cloudflared output line as a record: the parsed event (type, connection slot, error, fields), the
 * line exactly as cloudflared wrote it in `raw`, and the labels. A line without a level counts as info.
 */
export function connectorRecord(
  event: LogEvent,
  raw: string,
  meta: { readonly stream: 'stdout' | 'stderr'; readonly time: number; readonly pid?: number; readonly truncated?: boolean },
  labels: Readonly<RecordLabels>,
): LogRecord {
  return {
    level: event.level === undefined ? 30 : PINO_LEVEL[event.level],
    time: meta.time,
    msg: event.message,
    source: 'cloudflared',
    ...labels,
    event: event.type,
    ...(event.connIndex === undefined ? {} : { conn_index: event.connIndex }),
    ...(event.error === undefined ? {} : { error: event.error }),
    ...(event.time === undefined ? {} : { cf_time: event.time }),
    fields: event.fields,
    stream: meta.stream,
    ...(meta.pid === undefined ? {} : { pid: meta.pid }),
    ...(meta.truncated === true ? { truncated: true } : {}),
    raw,
  };
}
