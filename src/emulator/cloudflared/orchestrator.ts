// orchestration/orchestrator.go: the ingress rules in force and the remote configuration version. The edge
// pushes dashboard configuration (UpdateConfig): newer versions are validated and applied and logged as
// `Updated to new configuration`; `/config` serves the rules as GetVersionedConfigJSON marshals them.
import { type CloudflaredConfig, formatOriginService, type IngressRule, type OriginRequest, parseCloudflaredConfig, validateCloudflaredConfig, type WarpRouting } from '../../cloudflared/config/index.js';
import { goJsonString } from '../../cloudflared/log/index.js';
import type { EmulatorLogger } from './logger.js';
import type { CloudflaredMetrics } from './metrics.js';

/** The rule cloudflared serves with when nothing defines ingress (GetDefaultIngressRules / newDefaultOrigin). */
export function defaultRules(): readonly IngressRule[] {
  return parseCloudflaredConfig('ingress:\n  - service: http_status:503\n', 'default').config?.rules ?? [];
}

/** The first error cloudflared's validateIngress would stop at, if any. */
export function firstIngressError(config: CloudflaredConfig): string | undefined {
  const ignored = new Set(['TW_ERR_INGRESS_NO_RULES', 'TW_ERR_INGRESS_URL_WITH_INGRESS']);
  return validateCloudflaredConfig(config).find(
    (d) => d.severity === 'error' && d.code.startsWith('TW_ERR_INGRESS_') && !ignored.has(d.code),
  )?.message;
}

export interface IngressState {
  readonly rules: readonly IngressRule[];
  readonly originRequest: OriginRequest;
  readonly warpRouting: WarpRouting;
}

const seconds = (ms: number): string => String(ms / 1000);

/** ingress.OriginRequestConfig as encoding/json writes it (struct field order, durations in seconds). */
function originRequestJson(o: OriginRequest): string {
  const access = o.access;
  const accessJson = access
    ? `{${access.required ? '"required":true,' : ''}"teamName":${goJsonString(access.teamName, true)},"audTag":${
        access.audTag.length === 0 ? 'null' : `[${access.audTag.map((t) => goJsonString(t, true)).join(',')}]`
      }${access.environment === '' ? '' : `,"environment":${goJsonString(access.environment, true)}`}}`
    : '{"teamName":"","audTag":null}';
  const str = (v: string): string => goJsonString(v, true);
  return (
    `{"connectTimeout":${seconds(o.connectTimeout)},"tlsTimeout":${seconds(o.tlsTimeout)},"tcpKeepAlive":${seconds(o.tcpKeepAlive)},` +
    `"noHappyEyeballs":${String(o.noHappyEyeballs)},"keepAliveTimeout":${seconds(o.keepAliveTimeout)},` +
    `"keepAliveConnections":${String(o.keepAliveConnections)},"httpHostHeader":${str(o.httpHostHeader)},` +
    `"originServerName":${str(o.originServerName)},"matchSNItoHost":${String(o.matchSNItoHost)},"caPool":${str(o.caPool)},` +
    `"noTLSVerify":${String(o.noTLSVerify)},"disableChunkedEncoding":${String(o.disableChunkedEncoding)},` +
    `"bastionMode":${String(o.bastionMode)},"proxyAddress":${str(o.proxyAddress)},"proxyPort":${String(o.proxyPort)},` +
    `"proxyType":${str(o.proxyType)},"ipRules":${o.ipRules.length === 0 ? 'null' : `[${o.ipRules.map(() => '{}').join(',')}]`},` +
    `"http2Origin":${String(o.http2Origin)},"access":${accessJson}}`
  );
}

function ruleJson(rule: IngressRule): string {
  return (
    `{"hostname":${goJsonString(rule.hostname, true)},"path":${rule.path === undefined ? 'null' : goJsonString(rule.path, true)},` +
    `"service":${goJsonString(formatOriginService(rule.service, rule.serviceText), true)},"Handlers":null,` +
    `"originRequest":${originRequestJson(rule.originRequest)}}`
  );
}

/** config.WarpRoutingConfig from RawConfig: only values away from the defaults. */
function warpRoutingJson(w: WarpRouting): string {
  const parts: string[] = [];
  if (w.connectTimeout !== 5000) parts.push(`"connectTimeout":${seconds(w.connectTimeout)}`);
  if (w.maxActiveFlows !== 0) parts.push(`"maxActiveFlows":${String(w.maxActiveFlows)}`);
  if (w.tcpKeepAlive !== 30_000) parts.push(`"tcpKeepAlive":${seconds(w.tcpKeepAlive)}`);
  return `{${parts.join(',')}}`;
}

/** Go's json.Unmarshal complaint for text that is not JSON (the common cases). */
function jsonSyntaxError(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'unexpected end of JSON input';
  return `invalid character '${trimmed.charAt(0)}' looking for beginning of value`;
}

export class Orchestrator {
  #version = -1;
  #state: IngressState;
  readonly #log: EmulatorLogger;
  readonly #metrics: CloudflaredMetrics;

  constructor(initial: IngressState, log: EmulatorLogger, metrics: CloudflaredMetrics) {
    this.#state = initial.rules.length === 0 ? { ...initial, rules: defaultRules() } : initial;
    this.#log = log;
    this.#metrics = metrics;
  }

  get version(): number {
    return this.#version;
  }

  get rules(): readonly IngressRule[] {
    return this.#state.rules;
  }

  /** UpdateConfig: the edge pushed `configText` at `version`. Returns whether it was applied. */
  update(version: number, configText: string): boolean {
    const started = Date.now();
    const done = (failed: boolean): void => { this.#metrics.rpcServer('config', 'update_configuration', (Date.now() - started) / 1000, failed); };
    if (this.#version >= version) {
      this.#log.emit('debug', 'Current version is equal or newer than received version', [
        ['current_version', this.#version],
        ['received_version', version],
      ]);
      done(false);
      return false;
    }
    let decoded: unknown;
    try {
      decoded = JSON.parse(configText);
    } catch {
      this.#log.emit('error', 'Failed to deserialize new configuration', [['error', jsonSyntaxError(configText)], ['version', version], ['config', configText]]);
      done(true);
      return false;
    }
    const parsed = parseCloudflaredConfig(JSON.stringify(decoded ?? {}), 'remote configuration', { shape: 'remote' });
    const config = parsed.config;
    const problem = config ? (config.issues.find((i) => i.kind !== 'unknown-key')?.message ?? firstIngressError(config)) : parsed.diagnostics[0]?.message;
    if (!config || problem !== undefined) {
      this.#log.emit('error', 'Failed to update ingress', [['error', problem ?? 'invalid configuration'], ['version', version], ['config', configText]]);
      done(true);
      return false;
    }
    this.#state = {
      rules: config.rules.length === 0 ? defaultRules() : config.rules,
      originRequest: config.originRequest,
      warpRouting: config.warpRouting,
    };
    this.#version = version;
    this.#log.emit('info', 'Updated to new configuration', [['version', version], ['config', configText]]);
    this.#metrics.configVersion.set(version);
    done(false);
    return true;
  }

  /** GetVersionedConfigJSON: the `/config` body. */
  configJson(): string {
    const { rules, originRequest, warpRouting } = this.#state;
    return (
      `{"version":${String(this.#version)},"config":{"ingress":[${rules.map(ruleJson).join(',')}],` +
      `"warp-routing":${warpRoutingJson(warpRouting)},"originRequest":${originRequestJson(originRequest)}}}`
    );
  }
}
