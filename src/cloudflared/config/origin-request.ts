// originRequest options: defaults and the per-rule merge of cloudflared's setConfig /
// originRequestFromConfig (ingress/config.go). Durations are in milliseconds.
import type { Decoded, DecodedItem } from './decode.js';

/** originRequest.access. */
export interface AccessSettings {
  readonly required: boolean;
  readonly teamName: string;
  readonly audTag: readonly string[];
  readonly environment: string;
}

/** One originRequest.ipRules entry as written (cloudflared checks the CIDR later). */
export interface IpRuleSettings {
  /** Document path of the entry. */
  readonly at: string;
  readonly prefix?: string;
  readonly ports: readonly number[];
  readonly allow: boolean;
}

/** Effective originRequest options; durations in milliseconds. */
export interface OriginRequest {
  readonly connectTimeout: number;
  readonly tlsTimeout: number;
  readonly tcpKeepAlive: number;
  readonly noHappyEyeballs: boolean;
  readonly keepAliveConnections: number;
  readonly keepAliveTimeout: number;
  readonly httpHostHeader: string;
  readonly originServerName: string;
  readonly matchSNItoHost: boolean;
  readonly caPool: string;
  readonly noTLSVerify: boolean;
  readonly disableChunkedEncoding: boolean;
  readonly bastionMode: boolean;
  readonly proxyAddress: string;
  readonly proxyPort: number;
  readonly proxyType: string;
  readonly ipRules: readonly IpRuleSettings[];
  readonly http2Origin: boolean;
  readonly access?: AccessSettings;
}

/** For each option set away from its default: the document path of the value that set it. */
export type OriginRequestSources = Readonly<Partial<Record<keyof OriginRequest, string>>>;

/** cloudflared's defaults (ingress/config.go). */
export const DEFAULT_ORIGIN_REQUEST: OriginRequest = {
  connectTimeout: 30_000,
  tlsTimeout: 10_000,
  tcpKeepAlive: 30_000,
  noHappyEyeballs: false,
  keepAliveConnections: 100,
  keepAliveTimeout: 90_000,
  httpHostHeader: '',
  originServerName: '',
  matchSNItoHost: false,
  caPool: '',
  noTLSVerify: false,
  disableChunkedEncoding: false,
  bastionMode: false,
  proxyAddress: '127.0.0.1',
  proxyPort: 0,
  proxyType: '',
  ipRules: [],
  http2Origin: false,
};

/** The `access` block of a decoded originRequest, when present. */
export function accessOf(own: Decoded): AccessSettings | undefined {
  const raw = own.access;
  if (typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const access = raw as Decoded;
  return {
    required: access.required === true,
    teamName: typeof access.teamName === 'string' ? access.teamName : '',
    audTag: Array.isArray(access.audTag) ? access.audTag.filter((t): t is string => typeof t === 'string') : [],
    environment: typeof access.environment === 'string' ? access.environment : '',
  };
}

function ipRulesOf(own: Decoded): IpRuleSettings[] {
  const raw = own.ipRules;
  if (!Array.isArray(raw)) return [];
  return (raw as readonly DecodedItem[]).map(({ path, fields }) => ({
    at: path,
    ...(typeof fields.prefix === 'string' ? { prefix: fields.prefix } : {}),
    ports: Array.isArray(fields.ports) ? fields.ports.filter((p): p is number => typeof p === 'number') : [],
    allow: fields.allow === true,
  }));
}

/**
 * Applies the options present in `own` (a decoded originRequest at document path `at`) over `base`,
 * as setConfig does: every option present wins, ipRules only when non-empty, access as a whole.
 */
export function mergeOriginRequest(
  base: OriginRequest,
  baseFrom: OriginRequestSources,
  own: Decoded,
  at: string,
): { value: OriginRequest; from: OriginRequestSources } {
  const value: Record<string, unknown> = { ...base };
  const from: Partial<Record<keyof OriginRequest, string>> = { ...baseFrom };
  for (const key of Object.keys(DEFAULT_ORIGIN_REQUEST) as (keyof OriginRequest)[]) {
    const v = own[key];
    if (key === 'ipRules' || v === undefined || typeof v !== typeof DEFAULT_ORIGIN_REQUEST[key]) continue;
    value[key] = v;
    from[key] = `${at}.${key}`;
  }
  const ipRules = ipRulesOf(own);
  if (ipRules.length > 0) {
    value.ipRules = ipRules;
    from.ipRules = `${at}.ipRules`;
  }
  const access = accessOf(own);
  if (access) {
    value.access = access;
    from.access = `${at}.access`;
  }
  return { value: value as unknown as OriginRequest, from };
}
