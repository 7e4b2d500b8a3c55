// The alerts as configured: each built-in definition with the `alerts.rules` overrides from settings applied.
import type { Settings } from '../config/index.js';
import { BUILTIN_ALERTS, type AlertDefinition, type Severity } from './catalogue.js';

export type RuleOverride = Settings['alerts']['rules'][number];

/** One definition the built-in engine evaluates, with durations, severity and threshold as configured. */
export interface EffectiveRule {
  readonly definition: AlertDefinition;
  readonly enabled: boolean;
  readonly severity: Severity;
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly threshold: number | undefined;
}

/**
 * Applies `overrides` in order (a later entry wins). For an alert defined more than once
 * (TunnelOriginCertificateExpiring), `severity` selects the definition the entry changes instead of changing
 * the severity, and an entry without it changes every definition of the alert.
 */
export function effectiveRules(overrides: readonly RuleOverride[], definitions: readonly AlertDefinition[] = BUILTIN_ALERTS): EffectiveRule[] {
  return definitions.map((definition) => {
    const twins = definitions.filter((d) => d.alert === definition.alert).length > 1;
    let rule: EffectiveRule = {
      definition,
      enabled: true,
      severity: definition.severity,
      forMs: definition.forMs,
      keepFiringForMs: definition.keepFiringForMs,
      threshold: definition.threshold,
    };
    for (const o of overrides) {
      if (o.alert !== definition.alert) continue;
      if (twins && o.severity !== undefined && o.severity !== definition.severity) continue;
      rule = {
        definition,
        enabled: o.enabled,
        severity: twins ? definition.severity : (o.severity ?? rule.severity),
        forMs: o.for ?? rule.forMs,
        keepFiringForMs: o.keepFiringFor ?? rule.keepFiringForMs,
        threshold: o.threshold ?? rule.threshold,
      };
    }
    return rule;
  });
}
