// Every origin the ingress rules reach (and the extra targets of the settings), probed once from this host the
// way cloudflared would reach it, with the TLS details; a failure is named with its cause and fix.
import { setMaxListeners } from 'node:events';
import type { CloudflaredConfig } from '../cloudflared/config/index.js';
import type { Settings } from '../config/index.js';
import { CAUSES, originCause } from '../diagnosis/index.js';
import { deriveTargets, type ProbeResult, proberFor, type ProbeTarget, runBounded, runProbe } from '../probers/index.js';
import { type CheckResult, pass, problem, skip } from './check.js';

function details(result: ProbeResult): string[] {
  const out = [`${String(Math.round(result.durationMs))} ms${result.status === undefined ? '' : `, status ${String(result.status)}`}`];
  if (result.tlsNotAfter !== undefined) out.push(`certificate valid until ${new Date(result.tlsNotAfter).toISOString()}`);
  if (result.banner !== undefined) out.push(`banner ${result.banner}`);
  return out;
}

function verdict(target: ProbeTarget, result: ProbeResult): CheckResult {
  const name = `origin ${target.key}`;
  if (result.ok) {
    const noVerify = target.originRequest.noTLSVerify && /^https|^wss|tls/.test(target.serviceText);
    if (noVerify) return problem('WARN', name, `${target.serviceText} answers, with certificate checks off (noTLSVerify)`, CAUSES.origin_tls_untrusted.remediation, { evidence: details(result) });
    return pass(name, `${target.serviceText} answers`, details(result));
  }
  const error = result.error ?? 'failed';
  const cause = originCause(error);
  return problem('FAIL', name, `${target.serviceText}: ${error}`, cause === undefined ? 'Check that the origin runs and this host can reach it.' : CAUSES[cause].remediation, {
    evidence: [error],
    ...(cause === undefined ? {} : { cause }),
  });
}

export async function checkOrigins(settings: Settings, config: CloudflaredConfig | undefined): Promise<CheckResult[]> {
  const plan = deriveTargets(config?.rules ?? [], settings.origins.targets, { timeoutMs: settings.origins.timeout });
  if (plan.targets.length === 0) return [skip('origins', config === undefined ? 'no ingress rules read and no origins.targets' : 'no probeable origin in the ingress rules')];
  const signal = AbortSignal.timeout(settings.origins.timeout * 2);
  // Every probe in flight listens on the one signal; that is not a leak.
  setMaxListeners(plan.targets.length + 1, signal);
  return runBounded(plan.targets, settings.origins.concurrency, async (target) => verdict(target, await runProbe(target, signal, proberFor(target.service))));
}
