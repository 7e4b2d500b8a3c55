// The top of the page, what a person woken at 3 am reads first: which replica, zone and tunnel this is, the
// connector's state and the service's beside it, and what this replica did about it (fence, incident bundle).
import type { ConnectorState, HealthSnapshot, ServiceView } from '../../state/index.js';
import { e, escapeHtml, formatDuration, iso, when } from './html.js';

/** Who this replica is: settings identity and the tunnel id from the token or edge.tunnelId. */
export interface PageIdentity {
  readonly replica?: string;
  readonly zone?: string;
  readonly tunnelId?: string;
}

const bigBadge = (state: ConnectorState | ServiceView['state']): string => `<span class="badge big b-${state}">${state}</span>`;

export function header(s: HealthSnapshot, service: ServiceView, identity: PageIdentity, now: number): string {
  const proc = s.process;
  const tunnel = identity.tunnelId ?? s.tunnelId;
  return `<section id="top"><div class="who"><span>replica <strong>${e(identity.replica)}</strong></span><span>zone <strong>${e(identity.zone)}</strong></span><span>tunnel <code>${e(tunnel)}</code></span></div>
<div class="head"><h1>tunnelwatch</h1><span class="pair">connector ${bigBadge(s.state)}</span><span class="pair">service ${bigBadge(service.state)}</span></div>
<p>Connector <strong>${s.state}</strong> for <strong>${escapeHtml(formatDuration(now - s.since))}</strong>, since ${iso(s.since)}. Service <strong>${service.state}</strong>: ${escapeHtml(service.summary)}.</p>
<p class="meta">Registered connections <strong>${s.registeredConnections} of ${s.expectedConnections}</strong> · protocol ${e(s.protocol)} · cloudflared ${e(s.version)} · process ${e(proc.phase)}${proc.pid === undefined ? '' : ` (pid ${proc.pid})`}${proc.lastExit ? ` · last exit ${e(proc.lastExit)}` : ''}</p>
<p class="meta">Connector ${e(s.connectorId)}</p></section>`;
}

export interface Actions {
  /** This replica's self-fencing (fencing.enabled). */
  readonly fence?: { readonly fenced: boolean; readonly since?: number; readonly why?: string };
  /** The newest incident bundle. */
  readonly incident?: { readonly path: string; readonly at: number; readonly trigger: string };
}

/** What this replica did about it: fenced (and why), and where its newest incident bundle is. */
export function actions({ fence, incident }: Actions, now: number): string {
  const lines: string[] = [];
  if (fence?.fenced === true) lines.push(`<p><strong>Fenced</strong> since ${when(fence.since, now)}: ${e(fence.why)}. Its connector is held down; readiness answers 503.</p>`);
  if (incident !== undefined) lines.push(`<p>Newest incident bundle (${e(incident.trigger)}, ${when(incident.at, now)}): <code>${e(incident.path)}</code></p>`);
  return lines.length === 0 ? '' : `<section><h2>Actions</h2>${lines.join('')}</section>`;
}
