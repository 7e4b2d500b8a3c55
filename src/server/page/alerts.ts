// The built-in alerts: those firing, and those pending with the time left before they fire (the page refreshes
// every 5 s, so the countdown moves without a script).
import type { FiringAlert, PendingAlert } from '../../alerts/index.js';
import { badge, escapeHtml, formatDuration, iso, table, when } from './html.js';

const SEVERITY_ORDER: Readonly<Record<FiringAlert['severity'], number>> = { critical: 0, warning: 1, info: 2 };

export function firingAlerts(alerts: readonly FiringAlert[], now: number): string {
  if (alerts.length === 0) return '<section><h2>Firing alerts</h2><p class="dim">None.</p></section>';
  const sorted = [...alerts].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.alertname.localeCompare(b.alertname) || a.firingSince - b.firingSince);
  const rows = sorted
    .map((a) => {
      const held = a.keepFiringSince === undefined ? '' : ` <span class="dim">(condition cleared ${when(a.keepFiringSince, now)}; keep_firing_for)</span>`;
      const cause = a.cause === undefined ? '' : `<br><span class="reason">cause: ${escapeHtml(a.cause)}</span>`;
      return `<tr><td>${badge(a.severity, a.severity)}</td><td><a href="${escapeHtml(a.runbookUrl)}">${escapeHtml(a.alertname)}</a></td><td>${escapeHtml(a.summary)}${held}${cause}</td><td>${when(a.firingSince, now)}</td></tr>`;
    })
    .join('');
  return `<section><h2>Firing alerts</h2>${table(['severity', 'alert', 'summary', 'firing since'], rows)}</section>`;
}

/** "fires in 1m 40s", or "fires at the next evaluation" once its `for` has passed. */
const countdown = (a: PendingAlert, now: number): string =>
  `<span class="countdown" data-fires-at="${String(a.firesAt)}">${a.firesAt > now ? `fires in ${escapeHtml(formatDuration(a.firesAt - now))}` : 'fires at the next evaluation'}</span> ${iso(a.firesAt)}`;

export function pendingAlerts(alerts: readonly PendingAlert[], now: number): string {
  if (alerts.length === 0) return '<section><h2>Pending alerts</h2><p class="dim">None: no alert is about to fire.</p></section>';
  const sorted = [...alerts].sort((a, b) => a.firesAt - b.firesAt || a.alertname.localeCompare(b.alertname));
  const rows = sorted
    .map((a) => `<tr><td>${badge(a.severity, a.severity)}</td><td><a href="${escapeHtml(a.runbookUrl)}">${escapeHtml(a.alertname)}</a></td><td>${escapeHtml(a.summary)}</td><td>${countdown(a, now)}</td><td>${when(a.activeAt, now)}</td></tr>`)
    .join('');
  return `<section><h2>Pending alerts</h2>${table(['severity', 'alert', 'summary', 'time left', 'holding since'], rows)}</section>`;
}
