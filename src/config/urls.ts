// The URLs a replica hands out about itself: in Alertmanager's generatorURL, in runbook links. Pure.
import type { Settings } from './schema.js';

/** This replica as people reach it: alerts.externalUrl, else http://<server.listen>; no trailing slash. */
export function externalUrl(settings: Pick<Settings, 'alerts' | 'server'>): string {
  return (settings.alerts.externalUrl ?? `http://${settings.server.listen}`).replace(/\/+$/, '');
}

/** Where runbook links point: alerts.runbookBaseUrl, else the runbooks this replica serves at /runbooks. */
export function runbookBaseUrl(settings: Pick<Settings, 'alerts' | 'server'>): string {
  return (settings.alerts.runbookBaseUrl ?? `${externalUrl(settings)}/runbooks`).replace(/\/+$/, '');
}
