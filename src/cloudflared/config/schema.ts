// The keys cloudflared reads from a config: Go struct fields (config/configuration.go) with their Go
// types, and the CLI flags that may also be written as top-level keys (cmd/cloudflared/tunnel/cmd.go,
// subcommands.go, cliutil/logger.go, proxydns/cmd.go).

/** A scalar or list field type, named after the Go type it decodes into. */
export type ValueKind = 'string' | 'bool' | 'int' | 'uint' | 'uint64' | 'duration' | 'stringList' | 'intList';

/** A Go struct: its type name as Go prints it and its fields by YAML/JSON key. */
export interface StructSchema {
  readonly goType: string;
  readonly fields: Readonly<Record<string, FieldSchema>>;
  /** Keys the API still sends in JSON that cloudflared no longer reads; not worth a warning there. */
  readonly legacyJsonKeys?: readonly string[];
}

/** A field: a value, a nested struct, a list of structs, or anything (ignored). */
export type FieldSchema =
  | ValueKind
  | { readonly struct: StructSchema }
  | { readonly list: StructSchema }
  | 'any';

/** config.AccessConfig. */
export const ACCESS_SCHEMA: StructSchema = {
  goType: 'config.AccessConfig',
  fields: { required: 'bool', teamName: 'string', audTag: 'stringList', environment: 'string' },
};

/** config.IngressIPRule. */
export const IP_RULE_SCHEMA: StructSchema = {
  goType: 'config.IngressIPRule',
  fields: { prefix: 'string', ports: 'intList', allow: 'bool' },
};

/** config.OriginRequestConfig. */
export const ORIGIN_REQUEST_SCHEMA: StructSchema = {
  goType: 'config.OriginRequestConfig',
  fields: {
    connectTimeout: 'duration',
    tlsTimeout: 'duration',
    tcpKeepAlive: 'duration',
    noHappyEyeballs: 'bool',
    keepAliveConnections: 'int',
    keepAliveTimeout: 'duration',
    httpHostHeader: 'string',
    originServerName: 'string',
    matchSNItoHost: 'bool',
    caPool: 'string',
    noTLSVerify: 'bool',
    disableChunkedEncoding: 'bool',
    bastionMode: 'bool',
    proxyAddress: 'string',
    proxyPort: 'uint',
    proxyType: 'string',
    ipRules: { list: IP_RULE_SCHEMA },
    http2Origin: 'bool',
    access: { struct: ACCESS_SCHEMA },
  },
};

/** config.UnvalidatedIngressRule. */
export const RULE_SCHEMA: StructSchema = {
  goType: 'config.UnvalidatedIngressRule',
  fields: { hostname: 'string', path: 'string', service: 'string', originRequest: { struct: ORIGIN_REQUEST_SCHEMA } },
};

/** A rule as the `/config` endpoint prints it (with the untagged `Handlers` field). */
const ENDPOINT_RULE_SCHEMA: StructSchema = {
  goType: RULE_SCHEMA.goType,
  fields: { ...RULE_SCHEMA.fields, Handlers: 'any' },
};

/** config.WarpRoutingConfig. */
export const WARP_ROUTING_SCHEMA: StructSchema = {
  goType: 'config.WarpRoutingConfig',
  fields: { connectTimeout: 'duration', maxActiveFlows: 'uint64', tcpKeepAlive: 'duration' },
  // `enabled` was dropped in cloudflared 2023.9.0; the dashboard and API still write it.
  legacyJsonKeys: ['enabled'],
};

/** The struct fields of a local config file (config.Configuration); other keys are flags. */
export const LOCAL_TOP_SCHEMA: StructSchema = {
  goType: 'config.configFileSettings',
  fields: {
    tunnel: 'string',
    ingress: { list: RULE_SCHEMA },
    'warp-routing': { struct: WARP_ROUTING_SCHEMA },
    originRequest: { struct: ORIGIN_REQUEST_SCHEMA },
  },
};

/** ingress.RemoteConfigJSON: what the edge pushes and the `configurations` API stores. */
export const REMOTE_TOP_SCHEMA: StructSchema = {
  goType: 'ingress.RemoteConfigJSON',
  fields: {
    originRequest: { struct: ORIGIN_REQUEST_SCHEMA },
    ingress: { list: RULE_SCHEMA },
    'warp-routing': { struct: WARP_ROUTING_SCHEMA },
  },
};

/** The `config` object of the `/config` endpoint body. */
export const ENDPOINT_TOP_SCHEMA: StructSchema = {
  goType: REMOTE_TOP_SCHEMA.goType,
  fields: { ...REMOTE_TOP_SCHEMA.fields, ingress: { list: ENDPOINT_RULE_SCHEMA } },
};

/** How cloudflared's configFileSettings reads a flag's value from the config file. */
export type FlagKind = 'string' | 'bool' | 'int' | 'duration' | 'stringSlice';

const flagNames = (kind: FlagKind, names: string): [string, FlagKind][] => names.split(' ').map((n) => [n, kind]);

/** Every flag of `tunnel` and `tunnel run` that urfave/cli's altsrc fills from the config file. */
export const CONFIG_FLAGS: ReadonlyMap<string, FlagKind> = new Map([
  ...flagNames(
    'string',
    'origincert metrics pidfile url http-host-header origin-server-name unix-socket origin-ca-pool ' +
      'management-hostname service-op-ip local-ssh-port bucket-name region-name secret-id access-key-id ' +
      'session-token s3-url-host host-key-path proxy-address loglevel transport-loglevel logfile log-directory ' +
      'trace-output proxy-dns-address credentials-file region edge-ip-version edge-bind-address cacert hostname id ' +
      'lb-pool api-key api-email api-ca-key api-url label name quick-service protocol credentials-contents token ' +
      'token-file',
  ),
  ...flagNames(
    'bool',
    'no-autoupdate no-prechecks hello-world socks5 proxy-no-happy-eyeballs no-tls-verify no-chunked-encoding ' +
      'http2-origin ssh-server bastion proxy-dns is-autoupdated quic-disable-pmtu-discovery use-reconnect-token ' +
      'stdin-control ui post-quantum management-diagnostics',
  ),
  ...flagNames(
    'int',
    'proxy-keepalive-connections proxy-port proxy-dns-port proxy-dns-max-upstream-conns heartbeat-count ' +
      'max-edge-addr-retries retries ha-connections quic-connection-level-flow-control-limit ' +
      'quic-stream-level-flow-control-limit compression-quality max-fetch-size',
  ),
  ...flagNames(
    'duration',
    'autoupdate-freq proxy-connect-timeout proxy-tls-timeout proxy-tcp-keepalive proxy-keepalive-timeout ' +
      'proxy-connection-timeout proxy-expect-continue-timeout ssh-idle-timeout ssh-max-timeout metrics-update-freq ' +
      'heartbeat-interval rpc-timeout write-stream-timeout grace-period dial-edge-timeout',
  ),
  ...flagNames('stringSlice', 'proxy-dns-upstream proxy-dns-bootstrap edge tag features'),
]);

/**
 * Flag names cloudflared accepts on the command line but never reads from the config file: plain
 * (non-altsrc) flags, and aliases (altsrc looks a flag up by its primary name only). Value: the key to
 * use instead, or '' when there is none.
 */
export const CLI_ONLY_KEYS: ReadonlyMap<string, string> = new Map([
  ['config', ''],
  ['output', ''],
  ['icmpv4-src', ''],
  ['icmpv6-src', ''],
  ['max-active-flows', 'warp-routing.maxActiveFlows'],
  ['dns-resolver-addrs', ''],
  ['overwrite-dns', ''],
  ['f', ''],
  ['cred-file', 'credentials-file'],
  ['pq', 'post-quantum'],
  ['p', 'protocol'],
  ['F', 'features'],
  ['n', 'name'],
  ['proto-loglevel', 'transport-loglevel'],
]);

/** Flag keys whose value is a secret: never echo it, and warn when it sits in a file in clear. */
export const SECRET_FLAGS: ReadonlySet<string> = new Set([
  'token',
  'credentials-contents',
  'session-token',
  'secret-id',
  'api-key',
  'api-ca-key',
]);
