// Which origins to probe, derived from the parsed ingress rules and the `origins.targets` setting. Pure.
// Services cloudflared answers itself, or whose destination comes with each request, are skipped with a reason;
// rules that reach the same origin with the same probe-relevant options are probed once.
import { DEFAULT_ORIGIN_REQUEST, formatOriginService, type IngressRule, type OriginRequest, type OriginService, parseOriginService } from '../cloudflared/config/index.js';
import type { ProbeService, ProbeTarget } from './types.js';

/** One `origins.targets` entry of the settings. */
export interface ExtraTarget {
  readonly name: string;
  readonly url: string;
}

export interface TargetOptions {
  /** Overall deadline of one probe (settings `origins.timeout`). */
  readonly timeoutMs: number;
}

/** An origin that is not probed, and why. */
export interface SkippedTarget {
  readonly key: string;
  readonly reason: string;
}

export interface TargetPlan {
  readonly targets: readonly ProbeTarget[];
  readonly skipped: readonly SkippedTarget[];
}

/** The originRequest options a probe uses; two rules equal in these and the service need one probe. */
const PROBE_OPTIONS = [
  'connectTimeout',
  'tlsTimeout',
  'noHappyEyeballs',
  'httpHostHeader',
  'originServerName',
  'matchSNItoHost',
  'caPool',
  'noTLSVerify',
] as const satisfies readonly (keyof OriginRequest)[];

/** Why a service is not probed, or undefined when it can be. */
export function skipReason(service: OriginService): string | undefined {
  switch (service.kind) {
    case 'http':
    case 'unix':
      return undefined;
    case 'stream':
      return service.port === undefined ? `no port, and the scheme ${service.scheme} has no default` : undefined;
    case 'http_status':
      return `cloudflared answers ${String(service.status)} itself; there is no origin`;
    case 'hello_world':
      return 'the hello_world test server runs inside cloudflared';
    case 'bastion':
      return 'bastion mode: each request names its own destination';
    case 'socks_proxy':
      return 'socks-proxy: each request names its own destination';
    case 'invalid':
      return `invalid service: ${service.message}`;
  }
}

function dedupeKey(service: string, originRequest: OriginRequest): string {
  return JSON.stringify([service, ...PROBE_OPTIONS.map((k) => originRequest[k])]);
}

/** Splits `https://host:8443/healthz` into the service cloudflared would accept and the path to GET. */
function splitPath(url: string): { base: string; path?: string } {
  const scheme = /^(https?|wss?):\/\//i.exec(url);
  if (!scheme) return { base: url };
  const rest = url.slice(scheme[0].length);
  const at = rest.search(/[/?#]/);
  if (at < 0) return { base: url };
  const base = url.slice(0, scheme[0].length + at);
  const path = rest.slice(at).replace(/#.*$/, '');
  if (path === '' || path === '/') return { base };
  return { base, path: path.startsWith('/') ? path : `/${path}` };
}

function ruleTargets(rules: readonly IngressRule[], options: TargetOptions, skipped: SkippedTarget[]): ProbeTarget[] {
  const byKey = new Map<string, { target: ProbeTarget; rules: number[] }>();
  for (const rule of rules) {
    const text = formatOriginService(rule.service, rule.serviceText);
    const key = `rule${String(rule.index)}:${text}`;
    const reason = skipReason(rule.service);
    if (reason !== undefined) {
      skipped.push({ key, reason });
      continue;
    }
    const dedupe = dedupeKey(text, rule.originRequest);
    const seen = byKey.get(dedupe);
    if (seen) {
      seen.rules.push(rule.index);
      continue;
    }
    const covered = [rule.index];
    const target: ProbeTarget = {
      key,
      service: rule.service as ProbeService,
      serviceText: text,
      originRequest: rule.originRequest,
      timeoutMs: options.timeoutMs,
      rules: covered,
    };
    byKey.set(dedupe, { target, rules: covered });
  }
  return [...byKey.values()].map((v) => v.target);
}

function extraTargets(extra: readonly ExtraTarget[], taken: Set<string>, options: TargetOptions, skipped: SkippedTarget[]): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (const { name, url } of extra) {
    if (taken.has(name)) {
      skipped.push({ key: name, reason: `origins.targets: the name ${name} is used twice; rename one` });
      continue;
    }
    taken.add(name);
    const { base, path } = splitPath(url);
    const service = parseOriginService(base, false);
    const reason = skipReason(service);
    if (reason !== undefined) {
      skipped.push({ key: name, reason: `origins.targets ${name}: ${reason}` });
      continue;
    }
    out.push({
      key: name,
      service: service as ProbeService,
      serviceText: formatOriginService(service, base),
      originRequest: DEFAULT_ORIGIN_REQUEST,
      timeoutMs: options.timeoutMs,
      ...(path === undefined ? {} : { path }),
      rules: [],
    });
  }
  return out;
}

/** The probe targets of a config's ingress rules plus the extra settings targets. */
export function deriveTargets(rules: readonly IngressRule[], extra: readonly ExtraTarget[], options: TargetOptions): TargetPlan {
  const skipped: SkippedTarget[] = [];
  const fromRules = ruleTargets(rules, options, skipped);
  const taken = new Set(fromRules.map((t) => t.key));
  return { targets: [...fromRules, ...extraTargets(extra, taken, options, skipped)], skipped };
}
