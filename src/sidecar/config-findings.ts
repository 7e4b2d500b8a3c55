// The insecure settings of a cloudflared config, counted by a bounded set of findings for the
// `tunnelwatch_config_insecure` metric and the TunnelConfigInsecure alert. The lint itself lives in
// src/cloudflared; this only picks its security findings.
import { readTextOrUndefined } from '../base/index.js';
import { type CloudflaredConfig, lintConfigFile, lintIngress } from '../cloudflared/config/index.js';

export const INSECURE_FINDINGS = {
  TW_WARN_INGRESS_NO_TLS_VERIFY: 'no_tls_verify',
  TW_WARN_INGRESS_ACCESS_NOT_ENFORCED: 'access_not_enforced',
  TW_WARN_INGRESS_ACCESS_NOT_REQUIRED: 'access_not_required',
  TW_WARN_INGRESS_PLAINTEXT_ORIGIN: 'plaintext_origin',
  TW_WARN_CONFIG_SECRET_IN_FILE: 'secret_in_file',
} as const;

export type InsecureFinding = (typeof INSECURE_FINDINGS)[keyof typeof INSECURE_FINDINGS];

/** Every finding with its count (0 included, so each series exists once a config is known). */
export function insecureFindings(config: CloudflaredConfig): Map<InsecureFinding, number> {
  const counts = new Map<InsecureFinding, number>(Object.values(INSECURE_FINDINGS).map((f) => [f, 0]));
  const diagnostics = [...lintIngress(config, readTextOrUndefined), ...lintConfigFile(config, readTextOrUndefined)];
  for (const d of diagnostics) {
    const finding = (INSECURE_FINDINGS as Readonly<Record<string, InsecureFinding>>)[d.code];
    if (finding !== undefined) counts.set(finding, (counts.get(finding) ?? 0) + 1);
  }
  return counts;
}
