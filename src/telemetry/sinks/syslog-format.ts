/**
 * RFC 5424 syslog messages from tunnelwatch's log records (pure: no I/O).
 *
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [tunnelwatch@32473 k="v" ...] MSG`
 *
 * Choices, and why:
 * - Facility defaults to 1 (user-level): tunnelwatch is an unprivileged application. local0..local7 are left to
 *   the site, which often has them assigned already (HAProxy, network gear); pass `facility` 16..23 to route on them.
 * - MSG is the whole record as one JSON line (the line written to stdout, in logs.format), so a SIEM can parse
 *   every field; the header and SD repeat only the few fields a receiver filters on without parsing JSON, and are
 *   taken from the record whatever the format.
 * - MSG has no UTF-8 BOM (RFC 5424 MSG-ANY): JSON sent over a network must not start with one (RFC 8259
 *   §8.1), and JSON parsers in receivers (rsyslog mmjsonparse, Elastic, Splunk) reject or keep it as text.
 * - MSGID is the record's `source` (`cloudflared` | `tunnelwatch`); PROCID is the record's `pid` if it has one,
 *   else the sender's.
 * - SD-PARAM values are capped at 256 characters; the label set is fixed, so the header stays bounded.
 */

export const NILVALUE = '-';
export const SD_ID = 'tunnelwatch@32473';
export const TRUNCATION_MARKER = ' [truncated]';
/** The labels copied into the structured data, in this order. */
export const SD_LABELS = ['tunnel_id', 'connector_id', 'replica', 'zone', 'source'] as const;
const SD_VALUE_MAX_CHARS = 256;

/** A log record as it goes to stdout: pino's numeric level or cloudflared's level name, time in ms. */
export interface SyslogRecord {
  level?: number | string;
  time?: number | string;
  msg?: string;
  source?: 'cloudflared' | 'tunnelwatch';
  [field: string]: unknown;
}

export interface SyslogFormatOptions {
  appName: string;
  hostname: string;
  /** Used when the record has no `pid`. */
  procId?: string | number;
  /** 0..23; default 1 (user-level messages). */
  facility?: number;
  /** MSG from the record (logs.format); default the record as it is. */
  body?: (record: SyslogRecord) => string;
}

/** A formatted message, kept in two parts so that only MSG is ever cut. */
export interface SyslogMessage {
  /** Everything before MSG, without the separating space. */
  header: string;
  msg: string;
}

const NAMED_SEVERITY: Readonly<Record<string, number>> = {
  emerg: 0, panic: 0, pnc: 0,
  alert: 1,
  crit: 2, critical: 2, fatal: 2, ftl: 2,
  error: 3, err: 3,
  warn: 4, warning: 4, wrn: 4,
  notice: 5,
  info: 6, inf: 6, information: 6,
  debug: 7, dbg: 7, trace: 7, trc: 7,
};

/**
 * RFC 5424 severity (0 emergency .. 7 debug) for pino's numeric levels (10 trace .. 60 fatal, ranges for custom
 * levels) or a level name (zerolog's `debug|info|warn|error|fatal|panic`, cloudflared's console `DBG|INF|...`,
 * syslog's own names). Anything else is 5 (notice): unknown, so not hidden among info, but not an error.
 */
export function severityOf(level: unknown): number {
  if (typeof level === 'number' && Number.isFinite(level)) {
    if (level <= 20) return 7;
    if (level <= 30) return 6;
    if (level <= 40) return 4;
    if (level <= 50) return 3;
    return 2;
  }
  if (typeof level === 'string') return NAMED_SEVERITY[level.trim().toLowerCase()] ?? 5;
  return 5;
}

export function priority(facility: number, severity: number): number {
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) {
    throw new RangeError(`syslog facility ${facility} is out of range: use 0..23 (1 = user, 16..23 = local0..local7)`);
  }
  return facility * 8 + severity;
}

/** RFC 3339 timestamp (ms precision, UTC) from epoch ms or an RFC 3339 string; NILVALUE if unusable. */
export function timestampOf(time: unknown): string {
  const ms = typeof time === 'number' ? time : typeof time === 'string' ? Date.parse(time) : Number.NaN;
  if (!Number.isFinite(ms)) return NILVALUE;
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  // TIMESTAMP has a four-digit year; toISOString writes `+010000` beyond it.
  return Number.isNaN(year) || year < 0 || year > 9999 ? NILVALUE : d.toISOString();
}

/** A header field: printable US-ASCII only (others become `_`), at most `max` characters, `-` when empty. */
export function headerField(value: string | number | undefined, max: number): string {
  if (value === undefined) return NILVALUE;
  let out = '';
  for (const ch of String(value)) {
    if (out.length >= max) break;
    const c = ch.codePointAt(0) ?? 0;
    out += c >= 33 && c <= 126 ? ch : '_';
  }
  return out === '' ? NILVALUE : out;
}

/** Escapes the three characters RFC 5424 §6.3.3 requires in a PARAM-VALUE: `"`, `\` and `]`. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

export function structuredData(record: SyslogRecord): string {
  let params = '';
  for (const name of SD_LABELS) {
    const v = record[name];
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
    const chars = Array.from(String(v));
    const text = chars.length > SD_VALUE_MAX_CHARS ? chars.slice(0, SD_VALUE_MAX_CHARS).join('') : chars.join('');
    params += ` ${name}="${escapeParamValue(text)}"`;
  }
  return params === '' ? NILVALUE : `[${SD_ID}${params}]`;
}

function headerOf(record: SyslogRecord, o: SyslogFormatOptions, sd: string): string {
  const pri = priority(o.facility ?? 1, severityOf(record.level));
  const pid = typeof record.pid === 'number' || typeof record.pid === 'string' ? record.pid : o.procId;
  return [
    `<${pri}>1`,
    timestampOf(record.time),
    headerField(o.hostname, 255),
    headerField(o.appName, 48),
    headerField(pid, 128),
    headerField(typeof record.source === 'string' ? record.source : undefined, 32),
    sd,
  ].join(' ');
}

export function formatSyslogMessage(record: SyslogRecord, o: SyslogFormatOptions): SyslogMessage {
  return { header: headerOf(record, o, structuredData(record)), msg: o.body === undefined ? JSON.stringify(record) : o.body(record) };
}

export function formatSyslog(record: SyslogRecord, o: SyslogFormatOptions): string {
  const m = formatSyslogMessage(record, o);
  return `${m.header} ${m.msg}`;
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8 without splitting a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--; // back off continuation bytes
  return buf.toString('utf8', 0, end);
}

/**
 * The message as one line of at most `maxBytes` UTF-8 bytes. Only MSG is cut (at a character boundary) and
 * ends with TRUNCATION_MARKER; if even the header leaves no room, the structured data is dropped first.
 */
export function formatSyslogBounded(record: SyslogRecord, o: SyslogFormatOptions, maxBytes: number): { line: string; truncated: boolean } {
  const m = formatSyslogMessage(record, o);
  const line = `${m.header} ${m.msg}`;
  if (Buffer.byteLength(line) <= maxBytes) return { line, truncated: false };
  const marker = Buffer.byteLength(TRUNCATION_MARKER);
  let header = m.header;
  if (Buffer.byteLength(header) + 1 + marker > maxBytes) header = headerOf(record, o, NILVALUE);
  const room = maxBytes - Buffer.byteLength(header) - 1 - marker;
  if (room < 0) throw new RangeError(`syslog maxMessageBytes ${maxBytes} is smaller than a header: use at least 480 (RFC 5426)`);
  return { line: `${header} ${cutUtf8(m.msg, room)}${TRUNCATION_MARKER}`, truncated: true };
}

/** RFC 6587 §3.4.1 octet-counting frame: `<byte length> <message>`, the length counting UTF-8 bytes. */
export function octetFrame(line: string): Buffer {
  const body = Buffer.from(line, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
