// The status page as one HTML string: inline CSS and SVG, no scripts, every value escaped. Pure: snapshot, extras
// and clock in. The order is the 3 am one: who and what state, what was done, the alerts, why and what to do,
// the last hours, then the details.
import type { FiringAlert, PendingAlert } from '../../alerts/index.js';
import type { Diagnosis } from '../../diagnosis/index.js';
import { type HealthSnapshot, type HistoryView, serviceView } from '../../state/index.js';
import { firingAlerts, pendingAlerts } from './alerts.js';
import { connections, edge, origins, transitions, views } from './details.js';
import { escapeHtml, isoSeconds } from './html.js';
import { STYLE } from './style.js';
import { actions, type Actions, header, type PageIdentity } from './top.js';
import { renderTrends } from './trends.js';
import { why } from './why.js';

export { escapeHtml, formatDuration } from './html.js';
export type { PageIdentity } from './top.js';

/** The extra views a running sidecar adds: without `alerts` the page does not mention alerts, and so on. */
export interface PageExtras extends Actions {
  readonly alerts?: readonly FiringAlert[];
  readonly pending?: readonly PendingAlert[];
  readonly diagnosis?: readonly Diagnosis[];
  readonly history?: HistoryView;
  readonly identity?: PageIdentity;
  /** Where the generic next steps' runbooks are (alerts.runbookBaseUrl); default: those this server serves. */
  readonly runbookBaseUrl?: string;
}

/** The whole status page; `now` is the wall clock (Unix ms) that times are measured against. */
export function renderStatusPage(s: HealthSnapshot, now: number, extras: PageExtras = {}): string {
  const { alerts, pending, diagnosis, history } = extras;
  const service = serviceView(s);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>tunnelwatch: connector ${s.state}, service ${service.state}</title><style>${STYLE}</style></head>
<body><main>
${header(s, service, extras.identity ?? {}, now)}
${actions(extras, now)}
${alerts === undefined ? '' : firingAlerts(alerts, now)}
${pending === undefined ? '' : pendingAlerts(pending, now)}
${why(s, diagnosis, extras.runbookBaseUrl ?? '/runbooks', now)}
${history === undefined ? '' : renderTrends(history, now)}
${connections(s, now)}
${origins(s, now)}
${views(s)}
${edge(s, now)}
${transitions(s, now)}
<p class="dim">Generated ${escapeHtml(isoSeconds(now) ?? '')}; this page refreshes every 5 seconds.</p>
</main></body></html>
`;
}
