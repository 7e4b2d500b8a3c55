// The running connector as its own metrics server shows it (/ready, /metrics, /config), read by the same collector
// `run` uses; and a running tunnelwatch's diagnosis when its address is given.
import type { Settings } from '../config/index.js';
import { connectorCollector } from '../collectors/index.js';
import type { Diagnosis } from '../diagnosis/index.js';
import { type CheckResult, pass, problem, skip } from './check.js';

/** One read of the connector at `address`: each endpoint's verdict. Undefined when nothing answers /ready as cloudflared. */
export async function checkConnector(address: string, settings: Settings, timeoutMs: number): Promise<CheckResult[] | undefined> {
  let configVersion: number | undefined;
  const collector = connectorCollector({ metricsAddress: () => address, intervalMs: timeoutMs, timeoutMs, onConfig: (version) => { configVersion = version; } });
  const observations = await collector.collect({ signal: AbortSignal.timeout(timeoutMs * 2), now: Date.now });
  const ready = observations.find((o) => o.kind === 'ready');
  const metrics = observations.find((o) => o.kind === 'metrics');
  if (ready === undefined || !ready.ok) return undefined;
  const expected = settings.cloudflared.haConnections;
  const out: CheckResult[] = [];
  const held = `${String(ready.readyConnections)} of ${String(expected)} HA connections`;
  if (ready.status === 200 && ready.readyConnections >= expected) out.push(pass('connector /ready', `${address}: ${held}`));
  else if (ready.readyConnections > 0) out.push(problem('WARN', 'connector /ready', `${address}: ${held}`, 'Some connections are missing: see the connector\'s log or `tunnelwatch analyze` for why.'));
  else out.push(problem('FAIL', 'connector /ready', `${address}: HTTP ${String(ready.status)}, no registered connection`, 'The connector runs but holds no connection to the edge: the edge checks above and its log say why.'));
  if (metrics?.ok === true) out.push(pass('connector /metrics', `${address}: cloudflared_tunnel_ha_connections ${String(metrics.metrics.haConnections ?? '?')}`));
  else out.push(problem('WARN', 'connector /metrics', `${address}: ${metrics?.ok === false ? metrics.error : 'no answer'}`, 'tunnelwatch re-exports these metrics; check that the metrics server is the connector\'s.'));
  out.push(configVersion === undefined ? problem('WARN', 'connector /config', `${address}: no /config answer`, 'cloudflared older than 2022 has no /config; upgrade it.') : pass('connector /config', `${address}: ${configVersion < 0 ? 'local config' : `remote config version ${String(configVersion)}`}`));
  return out;
}

/** A running tunnelwatch's diagnosis (GET <url>/status): each cause a FAIL (high confidence) or a WARN. */
export async function checkTunnelwatch(url: string, authToken: string | undefined, timeoutMs: number): Promise<CheckResult[]> {
  let body: { state?: string; diagnosis?: readonly Diagnosis[] };
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/status`, { signal: AbortSignal.timeout(timeoutMs), ...(authToken === undefined ? {} : { headers: { authorization: `Bearer ${authToken}` } }) });
    if (res.status !== 200) return [problem('FAIL', 'tunnelwatch', `${url}/status answered HTTP ${String(res.status)}`, res.status === 401 ? 'Give the server.authToken of that tunnelwatch (TUNNELWATCH_SERVER_AUTH_TOKEN).' : 'Check the address of the running tunnelwatch.')];
    body = (await res.json()) as typeof body;
  } catch (error) {
    return [problem('FAIL', 'tunnelwatch', `cannot read ${url}/status: ${error instanceof Error ? error.message : String(error)}`, 'Check the address of the running tunnelwatch (server.listen).')];
  }
  const diagnosis = body.diagnosis ?? [];
  if (diagnosis.length === 0) return [pass('tunnelwatch', `${url}: connector ${body.state ?? 'unknown'}, no cause found`)];
  return diagnosis.map((d) =>
    problem(d.confidence === 'high' ? 'FAIL' : 'WARN', `tunnelwatch ${d.cause}`, d.title, d.remediation, { evidence: d.evidence.map((e) => e.text), cause: d.cause }),
  );
}

export const noConnector = (address: string): CheckResult => skip('connector', `no cloudflared answers on ${address}`);
