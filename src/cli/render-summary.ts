import type { LogSummary, TimelineEntry } from '../analysis/index.js';
import type { Diagnosis } from '../diagnosis/index.js';
import { formatGoDuration } from '../go/index.js';

function time(ms: number | undefined): string {
  return ms === undefined ? '(no time)           ' : new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

function counts(record: Record<string, number>): string {
  const entries = Object.entries(record).sort(([, a], [, b]) => b - a);
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k} ${String(v)}`).join(', ');
}

function entryText(e: TimelineEntry): string {
  const times = e.count > 1 ? ` (${String(e.count)}x)` : '';
  switch (e.kind) {
    case 'registered':
      return `registered ${e.detail}`;
    case 'lost':
      return `LOST: ${e.detail}`;
    case 'retrying':
      return `retried ${e.count === 1 ? 'once' : `${String(e.count)}x`} (delay up to ${formatGoDuration(e.maxDelayMs ?? 0)})`;
    case 'fallback':
      return `protocol fallback to ${e.detail}`;
    case 'register_error':
      return `edge refused registration${times}: ${e.detail}`;
    case 'dial_error':
      return `could not reach the edge${times}: ${e.detail}`;
    case 'restart':
      return '-- connector process started --';
  }
}

function ranked(list: readonly { reason: string; count: number }[], indent: string): string {
  return list.map((r) => `${indent}${String(r.count).padStart(5)}  ${r.reason}\n`).join('');
}

/** Each cause with the lines that prove it and the fix, first in the report: why before what. */
function causes(diagnosis: readonly Diagnosis[]): string {
  if (diagnosis.length === 0) return '';
  const one = (d: Diagnosis): string =>
    `  ${d.title} [${d.cause}, ${d.domain}]\n${d.evidence.map((e) => `    ${e.at === undefined ? '' : `${time(e.at)}  `}${e.text}\n`).join('')}    fix: ${d.remediation}\n    see: ${d.runbook}\n`;
  return `\nCauses\n${diagnosis.map(one).join('')}`;
}

/** The human report of `tunnelwatch analyze`. */
export function renderSummary(source: string, s: LogSummary, diagnosis: readonly Diagnosis[] = []): string {
  let out = `${source}: ${String(s.lines)} lines (${counts(s.formats)})\n`;
  out += `connector  version ${s.version ?? '?'}  connector id ${s.connectorId ?? '?'}  tunnel id ${s.tunnelId ?? '?'}\n`;
  out += `connections up at end of log: ${s.connectionsUp.length === 0 ? 'none' : s.connectionsUp.join(' ')}\n`;
  out += `registrations ${String(s.registrations)}, disconnects ${String(s.disconnects)}, protocol fallbacks ${String(s.fallbacks)}, origin errors ${String(s.originErrors)}\n`;
  out += `registered over: ${counts(s.protocols)}; at: ${counts(s.locations)}\n`;
  out += causes(diagnosis);
  if (s.disconnectReasons.length > 0) out += `\nDisconnect reasons\n${ranked(s.disconnectReasons, '')}`;
  if (s.registerErrors.length > 0) out += `\nEdge refused registration (check the tunnel token / credentials)\n${ranked(s.registerErrors, '')}`;
  out += '\nReconnect storms: ';
  out +=
    s.reconnectStorms.length === 0
      ? 'none\n'
      : `${String(s.reconnectStorms.length)}\n${s.reconnectStorms
          .map((st) => `  ${time(st.start)} .. ${time(st.end)}  ${String(st.disconnects)} disconnects on connections ${st.connIndexes.join(' ')}\n`)
          .join('')}`;
  if (s.fallbackEvents.length > 0) {
    out += `\nProtocol fallbacks (UDP 7844 blocked or QUIC failing?)\n`;
    out += s.fallbackEvents.map((f) => `  ${time(f.timestamp)}  conn ${f.connIndex === undefined ? '?' : String(f.connIndex)} -> ${f.protocol}\n`).join('');
  }
  if (s.originErrorsByService.length > 0) {
    out += `\nOrigin errors by origin\n`;
    for (const o of s.originErrorsByService) out += `${String(o.count).padStart(5)}  ${o.originService}\n${ranked(o.reasons, '         ')}`;
  }
  if (s.configVersions.length > 0) {
    out += `\nRemote config versions: ${s.configVersions
      .map((c) => `${c.version === undefined ? '?' : String(c.version)}${c.rules === undefined ? '' : ` (${String(c.rules)} rules)`} at ${time(c.timestamp)}`)
      .join(', ')}\n`;
  }
  if (s.fatal.length > 0) out += `\nFatal\n${s.fatal.map((f) => `  ${f}\n`).join('')}`;
  const indexes = Object.keys(s.timeline);
  if (indexes.length > 0) {
    out += '\nTimeline\n';
    for (const index of indexes) {
      out += `  connection ${index}\n`;
      for (const e of s.timeline[index] ?? []) out += `    ${time(e.timestamp)}  ${entryText(e)}\n`;
    }
  }
  return out;
}
