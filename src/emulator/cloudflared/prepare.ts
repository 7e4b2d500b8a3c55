// prepareTunnelConfig (cmd/cloudflared/tunnel/configuration.go): connector ID, ingress (config file, else
// --url/--hello-world/--bastion/--unix-socket, else the 503 rule), protocol selector, grace period, edge IP
// version and the ICMP proxy, each with cloudflared's log line or error (`Couldn't start tunnel` follows).
import { type CloudflaredConfig, DEFAULT_ORIGIN_REQUEST, type OriginRequest, parseCloudflaredConfig } from '../../cloudflared/config/index.js';
import { goQuote } from '../../go/index.js';
import type { Random } from './clock.js';
import type { EmulatorLogger } from './logger.js';
import { defaultRules, firstIngressError, type IngressState } from './orchestrator.js';
import { protocolSelector, type ProtocolSelector } from './runtime.js';
import type { Settings } from './settings.js';
import { icmpSources, logIcmpRouter, logIcmpSources, NO_INGRESS_MESSAGE, type IcmpSources } from './startup.js';

const AVAILABLE_PROTOCOLS =
  "Available protocols: 'auto' - automatically chooses the best protocol over time (the default; and also the recommended one); " +
  "'quic' - based on QUIC, relying on UDP egress to Cloudflare edge; 'http2' - using Go's HTTP2 library, relying on TCP egress to Cloudflare edge";
const MAX_GRACE_MS = 3 * 60_000;

export interface Prepared {
  readonly connectorId: string;
  readonly ingress: IngressState;
  readonly selector: ProtocolSelector;
  /** `--protocol` after h2mux is mapped to http2. */
  readonly protocolFlag: 'auto' | 'quic' | 'http2';
  readonly gracePeriodMs: number;
  readonly edgeIpVersion: '4' | '6' | 'auto';
  readonly region: string;
  readonly icmp: IcmpSources;
}

/** originRequestFromSingleRule: the proxy-* flags as the defaults of CLI-defined origins. */
function originRequestFromFlags(s: Settings): OriginRequest {
  return {
    ...DEFAULT_ORIGIN_REQUEST,
    connectTimeout: s.durationMs('proxy-connect-timeout'),
    tlsTimeout: s.durationMs('proxy-tls-timeout'),
    tcpKeepAlive: s.durationMs('proxy-tcp-keepalive'),
    noHappyEyeballs: s.bool('proxy-no-happy-eyeballs'),
    keepAliveConnections: s.int('proxy-keepalive-connections'),
    keepAliveTimeout: s.durationMs('proxy-keepalive-timeout'),
    httpHostHeader: s.string('http-host-header'),
    originServerName: s.string('origin-server-name'),
    caPool: s.string('origin-ca-pool'),
    noTLSVerify: s.bool('no-tls-verify'),
    disableChunkedEncoding: s.bool('no-chunked-encoding'),
    bastionMode: s.bool('bastion'),
    proxyAddress: s.string('proxy-address'),
    proxyPort: s.int('proxy-port'),
    http2Origin: s.bool('http2-origin'),
  };
}

/** ParseIngressFromConfigAndCLI. */
function ingressFrom(s: Settings, log: EmulatorLogger, config: CloudflaredConfig | undefined): IngressState | { error: string } {
  if (config && config.rules.length > 0) {
    const error = firstIngressError(config);
    if (error !== undefined) return { error };
    return { rules: config.rules, originRequest: config.originRequest, warpRouting: config.warpRouting };
  }
  const defaults = originRequestFromFlags(s);
  const warpRouting = config?.warpRouting ?? { connectTimeout: 5000, tcpKeepAlive: 30_000, maxActiveFlows: 0 };
  let service: string | undefined;
  if (s.isSet('hello-world') && s.bool('hello-world')) service = 'hello_world';
  else if (s.isSet('bastion') && s.bool('bastion')) service = 'bastion';
  else if (s.isSet('url')) {
    const url = s.string('url');
    service = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url) ? url : `http://${url}`;
  } else if (s.isSet('unix-socket')) service = `unix:${s.string('unix-socket')}`;
  if (service === undefined) {
    if (!s.isSet('token')) log.emit('warn', NO_INGRESS_MESSAGE);
    return { rules: defaultRules(), originRequest: defaults, warpRouting };
  }
  const single = parseCloudflaredConfig(`ingress:\n  - service: ${goQuote(service)}\n`, 'cli', { shape: 'local' }).config;
  const rule = single?.rules[0];
  if (!single || !rule || rule.service.kind === 'invalid') {
    return { error: `Error validating origin URL: ${rule?.service.kind === 'invalid' ? rule.service.message : service}` };
  }
  return { rules: [{ ...rule, originRequest: defaults }], originRequest: defaults, warpRouting };
}

/** prepareTunnelConfig: the prepared values, or the error `Couldn't start tunnel` reports. */
export function prepareTunnel(
  s: Settings,
  log: EmulatorLogger,
  rng: Random,
  config: CloudflaredConfig | undefined,
  endpoint: string,
): Prepared | { error: string } {
  const connectorId = rng.uuid();
  log.emit('info', `Generated Connector ID: ${connectorId}`);
  const ingress = ingressFrom(s, log, config);
  if ('error' in ingress) return ingress;
  const flag = s.string('protocol');
  let protocolFlag: Prepared['protocolFlag'];
  if (flag === 'h2mux') {
    log.emit('warn', "h2mux is no longer a supported protocol: upgrading edge connection to http2. Please remove '--protocol h2mux' from runtime arguments to remove this warning.");
    protocolFlag = 'http2';
  } else if (flag === 'auto' || flag === 'quic' || flag === 'http2') {
    protocolFlag = flag;
  } else {
    return { error: `unknown protocol ${flag}, ${AVAILABLE_PROTOCOLS}` };
  }
  const selector = protocolSelector(protocolFlag);
  log.emit('info', `Initial protocol ${selector.current()}`);
  const gracePeriodMs = s.durationMs('grace-period');
  if (gracePeriodMs > MAX_GRACE_MS) return { error: 'grace-period must be equal or less than 3m0s' };
  const ipVersion = s.string('edge-ip-version');
  if (ipVersion !== '4' && ipVersion !== '6' && ipVersion !== 'auto') return { error: `invalid value for edge-ip-version: ${ipVersion}` };
  const bind = s.string('edge-bind-address');
  if (bind !== '' && !/^[0-9.]+$|^[0-9a-fA-F:]+$/.test(bind)) return { error: `invalid value for edge-bind-address: ${bind}` };
  const region = s.string('region');
  if (region !== '' && endpoint !== '') return { error: 'region provided with a token that has an endpoint' };
  const icmp = icmpSources(s.string('icmpv4-src'), s.string('icmpv6-src'));
  logIcmpSources(log, icmp);
  logIcmpRouter(log);
  return { connectorId, ingress, selector, protocolFlag, gracePeriodMs, edgeIpVersion: ipVersion, region: region || endpoint, icmp };
}
