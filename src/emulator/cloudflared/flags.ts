// The flags of `cloudflared`, `cloudflared tunnel` and `cloudflared tunnel run` (cmd/cloudflared/tunnel/cmd.go
// tunnelFlags, subcommands.go buildRunCommand, cliutil/logger.go), with the Go flag type that decides how the
// command line is read. Usage texts are shortened; only the names, kinds, env vars and defaults matter.

/** How Go's flag package reads the value (bool flags take no separate argument). */
export type FlagKind = 'string' | 'bool' | 'int' | 'uint64' | 'duration' | 'stringSlice';

export interface FlagDef {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly kind: FlagKind;
  readonly env: readonly string[];
  /** The default as Go prints it; undefined for none. */
  readonly def?: string;
  readonly usage: string;
  readonly hidden: boolean;
  /** altsrc flag: also read from the config file. */
  readonly fromFile: boolean;
}

interface Extra {
  readonly aliases?: readonly string[];
  readonly env?: readonly string[];
  readonly def?: string;
  readonly usage?: string;
  readonly hidden?: boolean;
  readonly cliOnly?: boolean;
}

function flag(kind: FlagKind, name: string, extra: Extra = {}): FlagDef {
  return {
    name,
    kind,
    aliases: extra.aliases ?? [],
    env: extra.env ?? [],
    ...(extra.def === undefined ? {} : { def: extra.def }),
    usage: extra.usage ?? '',
    hidden: extra.hidden ?? false,
    fromFile: extra.cliOnly !== true,
  };
}

const s = (name: string, extra?: Extra): FlagDef => flag('string', name, extra);
const b = (name: string, extra?: Extra): FlagDef => flag('bool', name, { def: 'false', ...extra });
const i = (name: string, def: string, extra?: Extra): FlagDef => flag('int', name, { def, ...extra });
const d = (name: string, def: string, extra?: Extra): FlagDef => flag('duration', name, { def, ...extra });
const sl = (name: string, extra?: Extra): FlagDef => flag('stringSlice', name, extra);

const CREDENTIALS_FILE = s('credentials-file', {
  aliases: ['cred-file'],
  env: ['TUNNEL_CRED_FILE'],
  usage: 'Filepath at which to read/write the tunnel credentials',
});
const PROTOCOL = s('protocol', {
  aliases: ['p'],
  env: ['TUNNEL_TRANSPORT_PROTOCOL'],
  def: 'auto',
  hidden: true,
  usage: 'Protocol implementation to connect with Cloudflare\'s edge network.',
});
const POST_QUANTUM = b('post-quantum', {
  aliases: ['pq'],
  env: ['TUNNEL_POST_QUANTUM'],
  usage: 'When given creates an experimental post-quantum secure tunnel',
});

/** configureProxyFlags: defined on both `tunnel` and `tunnel run`. */
const PROXY_FLAGS: readonly FlagDef[] = [
  s('url', { env: ['TUNNEL_URL'], def: 'http://localhost:8080', usage: 'Connect to the local webserver at `URL`.' }),
  b('hello-world', { env: ['TUNNEL_HELLO_WORLD'], usage: 'Run Hello World Server' }),
  b('socks5', { env: ['TUNNEL_SOCKS'], usage: 'specify if this tunnel is running as a SOCK5 Server' }),
  d('proxy-connect-timeout', '30s', { usage: 'HTTP proxy timeout for establishing a new connection' }),
  d('proxy-tls-timeout', '10s', { usage: 'HTTP proxy timeout for completing a TLS handshake' }),
  d('proxy-tcp-keepalive', '30s', { usage: 'HTTP proxy TCP keepalive duration' }),
  b('proxy-no-happy-eyeballs', { usage: 'HTTP proxy should disable "happy eyeballs" for IPv4/v6 fallback' }),
  i('proxy-keepalive-connections', '100', { usage: 'HTTP proxy maximum keepalive connection pool size' }),
  d('proxy-keepalive-timeout', '1m30s', { usage: 'HTTP proxy timeout for closing an idle connection' }),
  d('proxy-connection-timeout', '1m30s', { usage: 'DEPRECATED. No longer has any effect.' }),
  d('proxy-expect-continue-timeout', '1m30s', { usage: 'DEPRECATED. No longer has any effect.' }),
  s('http-host-header', { env: ['TUNNEL_HTTP_HOST_HEADER'], usage: 'Sets the HTTP Host header for the local webserver.' }),
  s('origin-server-name', { env: ['TUNNEL_ORIGIN_SERVER_NAME'], usage: 'Hostname on the origin server certificate.' }),
  s('unix-socket', { env: ['TUNNEL_UNIX_SOCKET'], usage: 'Path to unix socket to use instead of --url' }),
  s('origin-ca-pool', { env: ['TUNNEL_ORIGIN_CA_POOL'], usage: 'Path to the CA for the certificate of your origin.' }),
  b('no-tls-verify', { env: ['NO_TLS_VERIFY'], usage: 'Disables TLS verification of the certificate presented by your origin.' }),
  b('no-chunked-encoding', { env: ['TUNNEL_NO_CHUNKED_ENCODING'], usage: 'Disables chunked transfer encoding.' }),
  b('http2-origin', { env: ['TUNNEL_ORIGIN_ENABLE_HTTP2'], usage: 'Enables HTTP/2 origin servers.' }),
  s('management-hostname', { env: ['TUNNEL_MANAGEMENT_HOSTNAME'], def: 'management.argotunnel.com', hidden: true }),
  s('service-op-ip', { env: ['TUNNEL_SERVICE_OP_IP'], def: '198.41.200.113:80', hidden: true }),
  s('local-ssh-port', { env: ['LOCAL_SSH_PORT'], def: '2222', hidden: true }),
  d('ssh-idle-timeout', '0s', { env: ['SSH_IDLE_TIMEOUT'], hidden: true }),
  d('ssh-max-timeout', '0s', { env: ['SSH_MAX_TIMEOUT'], hidden: true }),
  s('bucket-name', { env: ['BUCKET_ID'], hidden: true }),
  s('region-name', { env: ['REGION_ID'], hidden: true }),
  s('secret-id', { env: ['SECRET_ID'], hidden: true }),
  s('access-key-id', { env: ['ACCESS_CLIENT_ID'], hidden: true }),
  s('session-token', { env: ['SESSION_TOKEN_ID'], hidden: true }),
  s('s3-url-host', { env: ['S3_URL'], hidden: true }),
  s('host-key-path', { env: ['HOST_KEY_PATH'], hidden: true }),
  b('ssh-server', { env: ['TUNNEL_SSH_SERVER'], hidden: true }),
  b('bastion', { env: ['TUNNEL_BASTION'], usage: 'Runs as jump host' }),
  s('proxy-address', { env: ['TUNNEL_PROXY_ADDRESS'], def: '127.0.0.1', usage: 'Listen address for the proxy.' }),
  i('proxy-port', '0', { env: ['TUNNEL_PROXY_PORT'], usage: 'Listen port for the proxy.' }),
];

/** tunnelFlags: flags of `cloudflared tunnel` (and, hidden, of `cloudflared` itself). */
export const TUNNEL_FLAGS: readonly FlagDef[] = [
  s('config', { cliOnly: true, usage: 'Specifies a config file in YAML format.' }),
  s('origincert', { env: ['TUNNEL_ORIGIN_CERT'], usage: 'Path to the certificate generated for your origin when you run cloudflared login.' }),
  d('autoupdate-freq', '24h0m0s', { usage: 'Autoupdate frequency. Default is 24h0m0s.' }),
  b('no-autoupdate', { env: ['NO_AUTOUPDATE'], usage: 'Disable periodic check for updates, restarting the server with the new version.' }),
  b('no-prechecks', { env: ['TUNNEL_NO_PRECHECKS'], usage: 'Skip connectivity pre-checks at startup.' }),
  s('metrics', { env: ['TUNNEL_METRICS'], def: 'localhost:0', usage: 'Listen address for metrics reporting.' }),
  s('pidfile', { env: ['TUNNEL_PIDFILE'], usage: "Write the application's PID to this file after first successful connection." }),
  ...PROXY_FLAGS,
  s('loglevel', { env: ['TUNNEL_LOGLEVEL'], def: 'info', usage: 'Application logging level {debug, info, warn, error, fatal}.' }),
  s('transport-loglevel', { aliases: ['proto-loglevel'], env: ['TUNNEL_PROTO_LOGLEVEL', 'TUNNEL_TRANSPORT_LOGLEVEL'], def: 'info', usage: 'Transport logging level(previously called protocol logging level) {debug, info, warn, error, fatal}' }),
  s('logfile', { env: ['TUNNEL_LOGFILE'], usage: 'Save application log to this file for reporting issues.' }),
  s('log-directory', { env: ['TUNNEL_LOGDIRECTORY'], usage: 'Save application log to this directory for reporting issues.' }),
  s('trace-output', { env: ['TUNNEL_TRACE_OUTPUT'], usage: 'Name of trace output file, generated when cloudflared stops.' }),
  s('output', { env: ['TUNNEL_MANAGEMENT_OUTPUT', 'TUNNEL_LOG_OUTPUT'], def: 'default', cliOnly: true, usage: 'Output format for the logs (default, json)' }),
  b('proxy-dns', { hidden: true }),
  i('proxy-dns-port', '53', { hidden: true }),
  s('proxy-dns-address', { def: 'localhost', hidden: true }),
  sl('proxy-dns-upstream', { hidden: true }),
  i('proxy-dns-max-upstream-conns', '5', { hidden: true }),
  sl('proxy-dns-bootstrap', { hidden: true }),
  CREDENTIALS_FILE,
  b('is-autoupdated', { hidden: true }),
  sl('edge', { env: ['TUNNEL_EDGE'], hidden: true }),
  s('region', { env: ['TUNNEL_REGION'], usage: 'Cloudflare Edge region to connect to. Omit or set to empty to connect to the global region.' }),
  s('edge-ip-version', { env: ['TUNNEL_EDGE_IP_VERSION'], def: 'auto', usage: 'Cloudflare Edge IP address version to connect with. {4, 6, auto}' }),
  s('edge-bind-address', { env: ['TUNNEL_EDGE_BIND_ADDRESS'], usage: 'Bind to IP address for outgoing connections to Cloudflare Edge.' }),
  s('cacert', { env: ['TUNNEL_CACERT'], hidden: true }),
  s('hostname', { env: ['TUNNEL_HOSTNAME'], usage: 'Set a hostname on a Cloudflare zone to route traffic through this tunnel.' }),
  s('id', { env: ['TUNNEL_ID'], hidden: true }),
  s('lb-pool', { env: ['TUNNEL_LB_POOL'], usage: 'The name of a (new/existing) load balancing pool to add this origin to.' }),
  s('api-key', { env: ['TUNNEL_API_KEY'], hidden: true }),
  s('api-email', { env: ['TUNNEL_API_EMAIL'], hidden: true }),
  s('api-ca-key', { env: ['TUNNEL_API_CA_KEY'], hidden: true }),
  s('api-url', { env: ['TUNNEL_API_URL'], def: 'https://api.cloudflare.com/client/v4', hidden: true }),
  d('metrics-update-freq', '5s', { env: ['TUNNEL_METRICS_UPDATE_FREQ'], usage: 'Frequency to update tunnel metrics' }),
  sl('tag', { env: ['TUNNEL_TAG'], hidden: true }),
  d('heartbeat-interval', '5s', { hidden: true }),
  i('heartbeat-count', '5', { hidden: true }),
  i('max-edge-addr-retries', '8', { hidden: true }),
  i('retries', '5', { env: ['TUNNEL_RETRIES'], usage: 'Maximum number of retries for connection/protocol errors.' }),
  i('ha-connections', '4', { hidden: true }),
  d('rpc-timeout', '5s', { hidden: true }),
  d('write-stream-timeout', '0s', { env: ['TUNNEL_STREAM_WRITE_TIMEOUT'], hidden: true }),
  b('quic-disable-pmtu-discovery', { env: ['TUNNEL_DISABLE_QUIC_PMTU'], hidden: true }),
  i('quic-connection-level-flow-control-limit', '31457280', { env: ['TUNNEL_QUIC_CONN_LEVEL_FLOW_CONTROL_LIMIT'], hidden: true }),
  i('quic-stream-level-flow-control-limit', '6291456', { env: ['TUNNEL_QUIC_STREAM_LEVEL_FLOW_CONTROL_LIMIT'], hidden: true }),
  s('label', { usage: 'Use this option to give a meaningful label to a specific connector.' }),
  d('grace-period', '30s', { env: ['TUNNEL_GRACE_PERIOD'], usage: 'When cloudflared receives SIGINT/SIGTERM it will stop accepting new requests, wait for in-progress requests to terminate, then shutdown.' }),
  i('compression-quality', '0', { env: ['TUNNEL_COMPRESSION_LEVEL'], usage: '(beta) Use cross-stream compression instead HTTP compression.' }),
  b('use-reconnect-token', { env: ['TUNNEL_USE_RECONNECT_TOKEN'], def: 'true', hidden: true }),
  d('dial-edge-timeout', '15s', { env: ['DIAL_EDGE_TIMEOUT'], hidden: true }),
  b('stdin-control', { env: ['STDIN_CONTROL'], hidden: true }),
  s('name', { aliases: ['n'], env: ['TUNNEL_NAME'], usage: 'Stable name to identify the tunnel.' }),
  b('ui', { hidden: true }),
  s('quick-service', { def: 'https://api.trycloudflare.com', hidden: true }),
  i('max-fetch-size', '0', { env: ['TUNNEL_MAX_FETCH_SIZE'], hidden: true }),
  POST_QUANTUM,
  b('management-diagnostics', { env: ['TUNNEL_MANAGEMENT_DIAGNOSTICS'], def: 'true', usage: 'Enables the in-depth diagnostic routes to be made available over the management service.' }),
  PROTOCOL,
  b('overwrite-dns', { aliases: ['f'], env: ['TUNNEL_FORCE_PROVISIONING_DNS'], cliOnly: true, usage: 'Overwrites existing DNS records with this hostname' }),
];

/** buildRunCommand: flags of `cloudflared tunnel run`. */
export const RUN_FLAGS: readonly FlagDef[] = [
  CREDENTIALS_FILE,
  s('credentials-contents', { env: ['TUNNEL_CRED_CONTENTS'], usage: 'Contents of the tunnel credentials JSON file to use.' }),
  POST_QUANTUM,
  PROTOCOL,
  sl('features', { aliases: ['F'], usage: 'Opt into various features that are still being developed or tested.' }),
  s('token', { env: ['TUNNEL_TOKEN'], usage: 'The Tunnel token.' }),
  s('token-file', { env: ['TUNNEL_TOKEN_FILE'], usage: 'Filepath at which to read the tunnel token.' }),
  s('icmpv4-src', { env: ['TUNNEL_ICMPV4_SRC'], cliOnly: true, usage: 'Source address to send/receive ICMPv4 messages.' }),
  s('icmpv6-src', { env: ['TUNNEL_ICMPV6_SRC'], cliOnly: true, usage: 'Source address and the interface name to send/receive ICMPv6 messages.' }),
  flag('uint64', 'max-active-flows', { env: ['TUNNEL_MAX_ACTIVE_FLOWS'], cliOnly: true, usage: 'Overrides the remote configuration for max active private network flows (TCP/UDP) that this cloudflared instance supports' }),
  sl('dns-resolver-addrs', { env: ['TUNNEL_DNS_RESOLVER_ADDRS'], cliOnly: true, usage: 'Overrides the dynamic DNS resolver resolution to use these address:port\'s instead.' }),
  ...PROXY_FLAGS,
];

/** The help flag urfave/cli adds to every command. */
export const HELP_FLAG: FlagDef = flag('bool', 'help', { aliases: ['h'], def: 'false', usage: 'show help', cliOnly: true });

/** The top-level version flag. */
export const VERSION_FLAG: FlagDef = flag('bool', 'version', { aliases: ['v', 'V'], def: 'false', usage: 'Print the version', cliOnly: true });

/** Secret flags: shown as `*****` in the Settings line (configuration.go secretFlags). */
export const SECRET_FLAG_NAMES: ReadonlySet<string> = new Set(['credentials-contents', 'token']);
/** Their env vars, masked in the `Environmental variables` line. */
export const SECRET_ENV_NAMES: ReadonlySet<string> = new Set(['TUNNEL_CRED_CONTENTS', 'TUNNEL_TOKEN']);

/** nonSecretFlagsList (cmd.go): the flags `/diag/configuration` may show. */
export const NON_SECRET_FLAGS: ReadonlySet<string> = new Set(
  (
    'config autoupdate-freq no-autoupdate no-prechecks metrics pidfile url hello-world socks5 proxy-connect-timeout ' +
    'proxy-tls-timeout proxy-tcp-keepalive proxy-no-happy-eyeballs proxy-keepalive-connections proxy-keepalive-timeout ' +
    'proxy-connection-timeout proxy-expect-continue-timeout http-host-header origin-server-name unix-socket origin-ca-pool ' +
    'no-tls-verify no-chunked-encoding http2-origin management-hostname service-op-ip local-ssh-port ssh-idle-timeout ' +
    'ssh-max-timeout bucket-name region-name s3-url-host host-key-path ssh-server bastion proxy-address proxy-port ' +
    'loglevel transport-loglevel logfile log-directory trace-output is-autoupdated edge region edge-ip-version ' +
    'edge-bind-address cacert hostname id lb-pool api-url metrics-update-freq tag heartbeat-interval heartbeat-count ' +
    'max-edge-addr-retries retries ha-connections rpc-timeout write-stream-timeout quic-disable-pmtu-discovery ' +
    'quic-connection-level-flow-control-limit quic-stream-level-flow-control-limit label grace-period compression-quality ' +
    'use-reconnect-token dial-edge-timeout stdin-control name ui quick-service max-fetch-size post-quantum ' +
    'management-diagnostics protocol overwrite-dns help max-active-flows'
  ).split(' '),
);

/** Finds a flag by any of its names. */
export function findFlag(defs: readonly FlagDef[], name: string): FlagDef | undefined {
  return defs.find((f) => f.name === name || f.aliases.includes(name));
}
