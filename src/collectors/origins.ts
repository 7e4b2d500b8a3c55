// The origins collector: probes every origin the ingress rules reach (plus the extra targets of the
// settings) with the prober of its scheme, a bounded number at a time. Rules can change at run time (a
// remote config pushed by the edge), so the target list is replaced, never appended to.
import { type CloudflaredConfig, type ConfigShape, type IngressRule, parseCloudflaredConfig } from '../cloudflared/config/index.js';
import type { Settings } from '../config/index.js';
import { DEFAULT_PROBERS, deriveTargets, type ProbeResult, proberFor, type ProberMap, type ProbeTarget, runBounded, runProbe, type SkippedTarget } from '../probers/index.js';
import type { OriginObservation, OriginTargetsObservation } from '../state/index.js';
import type { Collector } from './collector.js';

export interface OriginsCollector extends Collector {
  /** Replaces the ingress rules; returns the observation that tells the health model the new target list. */
  setRules(rules: readonly IngressRule[], source: string, at: number): OriginTargetsObservation;
  readonly targets: readonly ProbeTarget[];
  readonly skipped: readonly SkippedTarget[];
  /** Where the current rules came from (`config.yml`, `remote config version 3`, ...). */
  readonly rulesSource: string | undefined;
  /** The newest result per target key (phases, status, certificate expiry), for metrics and /status. */
  readonly results: ReadonlyMap<string, ProbeResult>;
}

/** A config text read into its normalised form, or the diagnostics' first error when it cannot be read. */
export function readConfig(text: string, origin: string, shape?: ConfigShape): { config: CloudflaredConfig } | { error: string } {
  const parsed = parseCloudflaredConfig(text, origin, shape === undefined ? {} : { shape });
  if (parsed.config === undefined) return { error: parsed.diagnostics[0]?.message ?? `cannot read ${origin}` };
  return { config: parsed.config };
}

export function originsCollector(settings: Settings['origins'], probers: ProberMap = DEFAULT_PROBERS): OriginsCollector {
  let targets: readonly ProbeTarget[] = [];
  let skipped: readonly SkippedTarget[] = [];
  let rulesSource: string | undefined;
  const results = new Map<string, ProbeResult>();
  const plan = (rules: readonly IngressRule[]): void => {
    const p = deriveTargets(rules, settings.targets, { timeoutMs: settings.timeout });
    targets = p.targets;
    skipped = p.skipped;
    for (const key of results.keys()) if (!targets.some((t) => t.key === key)) results.delete(key);
  };
  plan([]);
  return {
    name: 'origins',
    intervalMs: settings.interval,
    get targets() {
      return targets;
    },
    get skipped() {
      return skipped;
    },
    get rulesSource() {
      return rulesSource;
    },
    results,
    setRules(rules, source, at) {
      plan(rules);
      rulesSource = source;
      return {
        kind: 'origin_targets',
        at,
        targets: targets.map((t) => {
          const rule = t.rules[0];
          const hostname = rule === undefined ? undefined : rules.find((r) => r.index === rule)?.hostname;
          return { key: t.key, service: t.serviceText, ...(rule === undefined ? {} : { rule }), ...(hostname === undefined || hostname === '' ? {} : { hostname }) };
        }),
      };
    },
    async collect({ signal, now }) {
      const round = targets;
      return runBounded(round, settings.concurrency, async (target): Promise<OriginObservation> => {
        const result = await runProbe(target, signal, proberFor(target.service, probers));
        results.set(target.key, result);
        return { kind: 'origin', at: now(), key: target.key, ok: result.ok, durationMs: result.durationMs, ...(result.error === undefined ? {} : { error: result.error }) };
      });
    },
  };
}
