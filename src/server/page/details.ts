// The detail sections below the why and the trends: connections by colo, origins, the views of the connection
// count, the Cloudflare API's view, and the recent state transitions.
import type { HealthSnapshot, OriginView } from '../../state/index.js';
import { badge, e, escapeHtml, table, when } from './html.js';

export function connections(s: HealthSnapshot, now: number): string {
  const sorted = [...s.connections].sort((a, b) => (a.location ?? '~').localeCompare(b.location ?? '~') || a.connIndex - b.connIndex);
  const colos = new Map<string, number>();
  for (const c of sorted) if (c.up) colos.set(c.location ?? 'unknown', (colos.get(c.location ?? 'unknown') ?? 0) + 1);
  const summary = colos.size === 0 ? '<span class="dim">no registered connection</span>' : [...colos].map(([colo, n]) => `<span><strong>${escapeHtml(colo)}</strong> × ${n}</span>`).join('');
  const rows = sorted
    .map((c) => `<tr><td>${c.connIndex}</td><td>${badge(c.up ? 'up' : 'down', c.up ? 'up' : 'down')}</td><td>${e(c.location)}</td><td>${e(c.protocol ?? s.protocol)}</td><td>${e(c.edgeIp)}</td><td>${when(c.since, now)}</td></tr>`)
    .join('');
  return `<section><h2>Connections</h2><p class="colos">${summary}</p>${table(['index', 'state', 'colo', 'protocol', 'edge IP', 'since'], rows)}</section>`;
}

const ORIGIN_ORDER: Readonly<Record<OriginView['state'], number>> = { down: 0, unknown: 1, up: 2 };

export function origins(s: HealthSnapshot, now: number): string {
  if (s.origins.length === 0) return '<section><h2>Origins</h2><p class="dim">No origins are probed.</p></section>';
  const count = (state: OriginView['state']): number => s.origins.filter((o) => o.state === state).length;
  const sorted = [...s.origins].sort((a, b) => ORIGIN_ORDER[a.state] - ORIGIN_ORDER[b.state] || a.key.localeCompare(b.key));
  const rows = sorted
    .map((o) => {
      const duration = o.lastDurationMs === undefined ? e(undefined) : `${Math.round(o.lastDurationMs)} ms`;
      return `<tr><td><code>${escapeHtml(o.key)}</code></td><td>${e(o.hostname)}</td><td>${e(o.service)}</td><td>${badge(o.state, o.state)}</td><td class="reason">${o.reason ? escapeHtml(o.reason) : ''}</td><td>${when(o.since, now)}</td><td>${duration}</td></tr>`;
    })
    .join('');
  return `<section><h2>Origins</h2><p class="meta">${count('up')} up · ${count('down')} down · ${count('unknown')} unknown</p>${table(['origin', 'hostname', 'service', 'state', 'reason', 'since', 'last probe'], rows)}</section>`;
}

export function views(s: HealthSnapshot): string {
  const v = s.views;
  const cells = [
    ['log events', v.events],
    ['cloudflared /ready', v.ready],
    ['ha_connections gauge', v.haGauge],
    ['Cloudflare API', v.edge],
  ] as const;
  return `<section><h2>Registered connections by view</h2>${table(cells.map(([name]) => name), `<tr>${cells.map(([, n]) => `<td>${e(n)}</td>`).join('')}</tr>`)}</section>`;
}

export function edge(s: HealthSnapshot, now: number): string {
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
  const connectors = ed.connectors.length === 0 ? '' : table(['connector', 'version', 'connections', 'colos'], rows);
  return `<section><h2>Edge view</h2><p>Tunnel status ${state} <span class="dim">checked ${when(ed.checkedAt, now)}</span></p>${error}${connectors}</section>`;
}

export function transitions(s: HealthSnapshot, now: number): string {
  if (s.transitions.length === 0) return '<section><h2>Recent transitions</h2><p class="dim">None yet.</p></section>';
  const rows = [...s.transitions]
    .reverse()
    .map((t) => `<tr><td>${when(t.at, now)}</td><td>${badge(t.from, t.from)} → ${badge(t.to, t.to)}</td><td>${t.reasons.map((r) => `<code>${escapeHtml(r)}</code>`).join(' ')}</td></tr>`)
    .join('');
  return `<section><h2>Recent transitions</h2>${table(['when', 'change', 'reasons'], rows)}</section>`;
}
