// Which ingress rule serves a URL, exactly like `cloudflared tunnel ingress rule URL`
// (cmd/cloudflared/tunnel/ingress_subcommands.go) and Ingress.FindMatchingRule / Rule.Matches
// (ingress/ingress.go, ingress/rule.go).
import type { CloudflaredConfig, IngressRule } from './file.js';
import { goMatchString, goSplitHostPort, goUrlHostname, parseGoUrl } from '../../go/index.js';

/** The matched rule (0-based index, as cloudflared prints it), or why the URL cannot be matched. */
export type IngressMatch =
  | { readonly ok: true; readonly index: number; readonly rule: IngressRule }
  | { readonly ok: false; readonly error: string };

/** cloudflared's matchHost: exact (case-sensitive) or `*.suffix` at any depth. */
export function matchHost(ruleHost: string, reqHost: string): boolean {
  if (ruleHost === reqHost) return true;
  return ruleHost.startsWith('*.') && reqHost.endsWith(ruleHost.slice(1));
}

/** cloudflared's Rule.Matches for a request host (port already stripped) and decoded path. */
export function ruleMatches(rule: IngressRule, host: string, path: string): boolean {
  const hostMatch =
    rule.hostname === '' ||
    rule.hostname === '*' ||
    matchHost(rule.hostname, host) ||
    (rule.punycodeHostname !== undefined && matchHost(rule.punycodeHostname, host));
  if (!hostMatch) return false;
  if (rule.path === undefined) return true;
  // A rule whose regex does not compile stops cloudflared from starting; here it simply never matches.
  return rule.pathRegexp !== undefined && goMatchString(rule.pathRegexp, path);
}

/** Finds the rule for a request host and decoded path: first match wins, else the last rule. */
export function findMatchingRule(rules: readonly IngressRule[], hostname: string, path: string): IngressMatch {
  const last = rules[rules.length - 1];
  if (!last) return { ok: false, error: "The config file doesn't contain any ingress rules" };
  const host = goSplitHostPort(hostname)?.host ?? hostname;
  const index = rules.findIndex((rule) => ruleMatches(rule, host, path));
  const matched = index >= 0 ? rules[index] : undefined;
  return matched ? { ok: true, index, rule: matched } : { ok: true, index: rules.length - 1, rule: last };
}

/** Matches a URL like `cloudflared tunnel ingress rule URL`; never throws. */
export function matchIngress(config: CloudflaredConfig | readonly IngressRule[], url: string): IngressMatch {
  const rules = Array.isArray(config) ? (config as readonly IngressRule[]) : (config as CloudflaredConfig).rules;
  if (url === '') return { ok: false, error: 'cloudflared tunnel rule expects a single argument, the URL to test' };
  const parsed = parseGoUrl(url);
  if ('error' in parsed) return { ok: false, error: `${url} is not a valid URL` };
  const hostname = goUrlHostname(parsed.url);
  if (hostname === '' && parsed.url.scheme === '') {
    return { ok: false, error: `${url} doesn't have a hostname, consider adding a scheme` };
  }
  return findMatchingRule(rules, hostname, parsed.url.path);
}
