// `tunnelwatch doctor`: every check the handbook's troubleshooting asks for, run once from this host, each a
// verdict with what was seen and the fix. Read-only: it starts nothing and changes nothing.
import type { Settings } from '../config/index.js';
import { connectAddress } from '../cloudflared/metrics/index.js';
import { type CheckResult, VERDICTS } from './check.js';
import { checkClock } from './clock-check.js';
import { checkConnector, checkTunnelwatch, noConnector } from './connector-checks.js';
import { checkEdge } from './edge-checks.js';
import { checkConfig, checkCredentials, checkMetricsAddress, checkProxy, checkToken } from './local-checks.js';
import { checkOrigins } from './origin-checks.js';

export interface DoctorOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A running tunnelwatch whose diagnosis is read too (`http://host:port`). */
  readonly tunnelwatchUrl?: string;
  /** Bound on each network check. */
  readonly timeoutMs?: number;
}

export async function runDoctor(settings: Settings, options: DoctorOptions): Promise<CheckResult[]> {
  // The checks' deadlines are AbortSignal.timeout()s, whose timers do not keep Node alive: while every check
  // waits on one (a peer that takes a connection and never answers), Node would exit with the checks unsettled.
  const alive = setInterval(() => undefined, 60_000);
  try {
    return await checks(settings, options);
  } finally {
    clearInterval(alive);
  }
}

async function checks(settings: Settings, options: DoctorOptions): Promise<CheckResult[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const { result: config, config: cloudflaredConfig, diagnostics = [] } = checkConfig(settings);
  const credentials = checkCredentials(settings, cloudflaredConfig, diagnostics);
  const address = connectAddress(settings.cloudflared.metrics);
  const connector = await checkConnector(address, settings, timeoutMs);
  const [edge, origins, metrics, clock] = await Promise.all([
    checkEdge(settings, timeoutMs),
    checkOrigins(settings, cloudflaredConfig),
    checkMetricsAddress(settings.cloudflared.metrics, connector !== undefined),
    checkClock(settings.edge.baseUrl, timeoutMs),
  ]);
  const tunnelwatch = options.tunnelwatchUrl === undefined ? [] : await checkTunnelwatch(options.tunnelwatchUrl, settings.server.authToken?.reveal(), timeoutMs);
  return [config, checkToken(settings), ...(credentials === undefined ? [] : [credentials]), checkProxy(options.env), metrics, clock, ...edge, ...origins, ...(connector ?? [noConnector(address)]), ...tunnelwatch];
}

/** 1 when any check failed, else 0 (warnings do not fail). */
export function doctorExitCode(results: readonly CheckResult[]): 0 | 1 {
  return results.some((r) => r.verdict === 'FAIL') ? 1 : 0;
}

/** How many checks had each verdict, in verdict order. */
export function tally(results: readonly CheckResult[]): string {
  return VERDICTS.map((v) => `${String(results.filter((r) => r.verdict === v).length)} ${v}`).join(', ');
}
