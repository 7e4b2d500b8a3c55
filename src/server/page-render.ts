// The status page as one HTML string: inline CSS, no scripts, every value escaped. Pure: snapshot and clock in.
import type { FiringAlert } from '../alerts/index.js';
import type { Diagnosis } from '../diagnosis/index.js';
import type { ConnectorState, HealthSnapshot, OriginView } from '../state/index.js';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const e = (value: string | number | undefined): string => (value === undefined || value === '' ? '<span class="dim">–</span>' : escapeHtml(String(value)));

/** "3d 4h", "12m 5s", "40s": the two largest units of a duration. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join(' ');
}

const utc = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** "12m 5s ago" with the exact UTC time as a tooltip. */
function ago(at: number | undefined, now: number): string {
  if (at === undefined) return e(undefined);
  return `<span title="${escapeHtml(utc(at))}">${escapeHtml(formatDuration(now - at))} ago</span>`;
}

const badge = (kind: string, text: string): string => `<span class="badge b-${escapeHtml(kind)}">${escapeHtml(text)}</span>`;

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:1180px;margin:0 auto;padding:20px 24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 8px}
section{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:14px 16px;margin:14px 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-weight:600;color:#5b6475;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f0f2f5;padding:1px 4px;border-radius:3px}
.dim{color:#8a93a3}.meta{color:#5b6475;margin:2px 0}.reason{color:#7a1f1f}
.badge{display:inline-block;padding:2px 9px;border-radius:10px;font-weight:600;font-size:12px;color:#fff;background:#7d8595}
.big{font-size:18px;padding:4px 14px;border-radius:14px}
.b-healthy,.b-up{background:#1f8a3b}.b-degraded{background:#c77700}.b-down{background:#c62828}
.b-inactive,.b-unknown{background:#7d8595}
.b-critical{background:#c62828}.b-warning{background:#c77700}.b-info{background:#3d6fb4}
.head{display:flex;gap:14px;align-items:center;flex-wrap:wrap}
.colos span{margin-right:12px}
`;

function header(s: HealthSnapshot, now: number): string {
  const proc = s.process;
  return `<section><div class="head"><h1>tunnelwatch</h1>${bigBadge(s.state)}<span>in this state for <strong>${escapeHtml(formatDuration(now - s.since))}</strong> (since ${escapeHtml(utc(s.since))})</span></div>
<p class="meta">Registered connections <strong>${s.registeredConnections} of ${s.expectedConnections}</strong> · protocol ${e(s.protocol)} · cloudflared ${e(s.version)} · process ${e(proc.phase)}${proc.pid === undefined ? '' : ` (pid ${proc.pid})`}${proc.lastExit ? ` · last exit ${e(proc.lastExit)}` : ''}</p>
<p class="meta">Tunnel ${e(s.tunnelId)} · connector ${e(s.connectorId)}</p></section>`;
}

const bigBadge = (state: ConnectorState): string => `<span class="badge big b-${state}">${state}</span>`;

/** The causes with their evidence and fix, first on the page after the state: the why an on-call engineer needs. */
function why(diagnosis: readonly Diagnosis[], now: number): string {
  if (diagnosis.length === 0) return '<section><h2>Why</h2><p class="dim">No cause found: nothing tunnelwatch knows of is wrong.</p></section>';
  const items = diagnosis
    .map((d) => {
      const evidence = d.evidence.map((x) => `<li><span class="dim">${escapeHtml(x.source)}${x.at === undefined ? '' : ` · ${ago(x.at, now)}`}</span> <code>${escapeHtml(x.text)}</code></li>`).join('');
      return `<li><strong>${escapeHtml(d.title)}</strong> ${badge(d.domain, d.domain)} <span class="dim">${escapeHtml(d.confidence)} confidence · since ${ago(d.since, now)}</span>
<p>${escapeHtml(d.remediation)} <a href="${escapeHtml(d.runbook)}">Runbook</a></p><ul>${evidence}</ul></li>`;
    })
    .join('');
  return `<section><h2>Why</h2><ul>${items}</ul></section>`;
}

function reasons(s: HealthSnapshot, now: number): string {
  if (s.reasons.length === 0) return '<section><h2>Reasons</h2><p class="dim">None: every view agrees the connector is fine.</p></section>';
  const items = s.reasons.map((r) => `<li><code>${escapeHtml(r.code)}</code> ${escapeHtml(r.message)} <span class="dim">(${ago(r.since, now)})</span></li>`).join('');
  return `<section><h2>Reasons</h2><ul>${items}</ul></section>`;
}

function connections(s: HealthSnapshot, now: number): string {
  const sorted = [...s.connections].sort((a, b) => (a.location ?? '~').localeCompare(b.location ?? '~') || a.connIndex - b.connIndex);
  const colos = new Map<string, number>();
  for (const c of sorted) if (c.up) colos.set(c.location ?? 'unknown', (colos.get(c.location ?? 'unknown') ?? 0) + 1);
  const summary = colos.size === 0 ? '<span class="dim">no registered connection</span>' : [...colos].map(([colo, n]) => `<span><strong>${escapeHtml(colo)}</strong> × ${n}</span>`).join('');
  const rows = sorted
    .map((c) => `<tr><td>${c.connIndex}</td><td>${badge(c.up ? 'up' : 'down', c.up ? 'up' : 'down')}</td><td>${e(c.location)}</td><td>${e(c.protocol ?? s.protocol)}</td><td>${e(c.edgeIp)}</td><td>${ago(c.since, now)}</td></tr>`)
    .join('');
  return `<section><h2>Connections</h2><p class="colos">${summary}</p><table><thead><tr><th>index</th><th>state</th><th>colo</th><th>protocol</th><th>edge IP</th><th>since</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

const ORIGIN_ORDER: Readonly<Record<OriginView['state'], number>> = { down: 0, unknown: 1, up: 2 };

function origins(s: HealthSnapshot, now: number): string {
  if (s.origins.length === 0) return '<section><h2>Origins</h2><p class="dim">No origins are probed.</p></section>';
  const count = (state: OriginView['state']): number => s.origins.filter((o) => o.state === state).length;
  const sorted = [...s.origins].sort((a, b) => ORIGIN_ORDER[a.state] - ORIGIN_ORDER[b.state] || a.key.localeCompare(b.key));
  const rows = sorted
    .map((o) => {
      const duration = o.lastDurationMs === undefined ? e(undefined) : `${Math.round(o.lastDurationMs)} ms`;
      return `<tr><td><code>${escapeHtml(o.key)}</code></td><td>${e(o.hostname)}</td><td>${e(o.service)}</td><td>${badge(o.state, o.state)}</td><td class="reason">${o.reason ? escapeHtml(o.reason) : ''}</td><td>${ago(o.since, now)}</td><td>${duration}</td></tr>`;
    })
    .join('');
  return `<section><h2>Origins</h2><p class="meta">${count('up')} up · ${count('down')} down · ${count('unknown')} unknown</p><table><thead><tr><th>origin</th><th>hostname</th><th>service</th><th>state</th><th>reason</th><th>since</th><th>last probe</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function views(s: HealthSnapshot): string {
  const v = s.views;
  const cells = [
    ['log events', v.events],
    ['cloudflared /ready', v.ready],
    ['ha_connections gauge', v.haGauge],
    ['Cloudflare API', v.edge],
  ] as const;
  return `<section><h2>Registered connections by view</h2><table><tr>${cells.map(([name]) => `<th>${name}</th>`).join('')}</tr><tr>${cells.map(([, n]) => `<td>${e(n)}</td>`).join('')}</tr></table></section>`;
}

function edge(s: HealthSnapshot, now: number): string {
  const ed = s.edge;
  const state = ed.configured ? badge(ed.status, ed.status) : `${badge('unknown', 'unknown')} <span class="dim">the Cloudflare API is not configured (edge.apiToken, edge.accountId)</span>`;
  const error = ed.error ? `<p class="reason">${escapeHtml(ed.error)}</p>` : '';
  const rows = ed.connectors
    .map((c) => {
      const colos = c.connections.map((x) => `${x.colo}${x.pendingReconnect ? ' (pending reconnect)' : ''}`).join(', ');
      const self = c.id === ed.connector?.id ? ' <span class="dim">(this replica)</span>' : '';
      return `<tr><td><code>${escapeHtml(c.id)}</code>${self}</td><td>${e(c.version)}</td><td>${c.connections.length}</td><td>${e(colos)}</td></tr>`;
    })
    .join('');
  const table = ed.connectors.length === 0 ? '' : `<table><thead><tr><th>connector</th><th>version</th><th>connections</th><th>colos</th></tr></thead><tbody>${rows}</tbody></table>`;
  return `<section><h2>Edge view</h2><p>Tunnel status ${state} <span class="dim">checked ${ago(ed.checkedAt, now)}</span></p>${error}${table}</section>`;
}

function transitions(s: HealthSnapshot, now: number): string {
  if (s.transitions.length === 0) return '<section><h2>Recent transitions</h2><p class="dim">None yet.</p></section>';
  const rows = [...s.transitions]
    .reverse()
    .map((t) => `<tr><td>${ago(t.at, now)}</td><td>${badge(t.from, t.from)} → ${badge(t.to, t.to)}</td><td>${t.reasons.map((r) => `<code>${escapeHtml(r)}</code>`).join(' ')}</td></tr>`)
    .join('');
  return `<section><h2>Recent transitions</h2><table><thead><tr><th>when</th><th>change</th><th>reasons</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

const SEVERITY_ORDER: Readonly<Record<FiringAlert['severity'], number>> = { critical: 0, warning: 1, info: 2 };

function firingAlerts(alerts: readonly FiringAlert[], now: number): string {
  if (alerts.length === 0) return '<section><h2>Firing alerts</h2><p class="dim">None.</p></section>';
  const sorted = [...alerts].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.alertname.localeCompare(b.alertname) || a.firingSince - b.firingSince);
  const rows = sorted
    .map((a) => {
      const held = a.keepFiringSince === undefined ? '' : ` <span class="dim">(condition cleared ${ago(a.keepFiringSince, now)}; keep_firing_for)</span>`;
      const cause = a.cause === undefined ? '' : `<br><span class="reason">cause: ${escapeHtml(a.cause)}</span>`;
      return `<tr><td>${badge(a.severity, a.severity)}</td><td><a href="${escapeHtml(a.runbookUrl)}">${escapeHtml(a.alertname)}</a></td><td>${escapeHtml(a.summary)}${held}${cause}</td><td>${ago(a.firingSince, now)}</td></tr>`;
    })
    .join('');
  return `<section><h2>Firing alerts</h2><table><thead><tr><th>severity</th><th>alert</th><th>summary</th><th>firing since</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/**
 * The whole status page; `now` is the wall clock (Unix ms) that times in state are measured against. `alerts`,
 * when built-in alerting runs, adds a "Firing alerts" section.
 */
/** The extra views a running sidecar adds: without `alerts` the page does not mention alerts. */
export interface PageExtras {
  readonly alerts?: readonly FiringAlert[];
  readonly diagnosis?: readonly Diagnosis[];
  /** This replica's self-fencing (fencing.enabled). */
  readonly fence?: { readonly fenced: boolean; readonly since?: number; readonly why?: string };
  /** The newest incident bundle. */
  readonly incident?: { readonly path: string; readonly at: number; readonly trigger: string };
}

/** What this replica did about it: fenced (and why), and where its newest incident bundle is. */
function actions(extras: PageExtras): string {
  const { fence, incident } = extras;
  const lines: string[] = [];
  if (fence?.fenced === true) lines.push(`<p><strong>Fenced</strong> since ${e(fence.since === undefined ? undefined : utc(fence.since))}: ${e(fence.why)}. Its connector is held down; readiness answers 503.</p>`);
  if (incident !== undefined) lines.push(`<p>Newest incident bundle (${e(incident.trigger)}, ${e(utc(incident.at))}): <code>${e(incident.path)}</code></p>`);
  return lines.length === 0 ? '' : `<section><h2>Actions</h2>${lines.join('')}</section>`;
}

export function renderStatusPage(s: HealthSnapshot, now: number, extras: PageExtras = {}): string {
  const { alerts, diagnosis } = extras;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>tunnelwatch: ${s.state}</title><style>${STYLE}</style></head>
<body><main>
${header(s, now)}
${diagnosis === undefined ? '' : why(diagnosis, now)}
${actions(extras)}
${alerts === undefined ? '' : firingAlerts(alerts, now)}
${reasons(s, now)}
${connections(s, now)}
${origins(s, now)}
${views(s)}
${edge(s, now)}
${transitions(s, now)}
<p class="dim">Generated ${escapeHtml(utc(now))}; this page refreshes every 5 seconds.</p>
</main></body></html>
`;
}
