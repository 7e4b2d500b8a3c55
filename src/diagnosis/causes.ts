// Every cause tunnelwatch can name, with its failure domain and the fix in one or two sentences. A bounded list:
// the ids become metric label values and anchors of docs/runbooks/causes.md, which a test keeps equal to this.

export const DOMAINS = [
  'credentials',
  'edge_reachability',
  'protocol',
  'edge_side',
  'origin',
  'local',
  'ha',
  'certificates',
  'latency',
  'end_to_end',
] as const;
export type Domain = (typeof DOMAINS)[number];

export interface CauseDefinition {
  readonly domain: Domain;
  readonly title: string;
  /** What tunnelwatch reads as proof. */
  readonly evidence: string;
  /** What to do, in one or two sentences. */
  readonly remediation: string;
}

export const CAUSES = {
  credentials_rejected: {
    domain: 'credentials',
    title: 'The edge rejects the tunnel credentials',
    evidence: 'cloudflared\'s `Register tunnel error from server side` line with `Unauthorized`; over QUIC, where cloudflared logs no words, `cloudflared_tunnel_tunnel_register_fail{error="server_error"}` rising while no connection registers (medium confidence).',
    remediation:
      'The token or credentials file is wrong, was rotated or belongs to a deleted tunnel: copy the current token from the dashboard (Networks > Tunnels > the tunnel > Install connector) into cloudflared.tokenFile and restart.',
  },
  tunnel_not_found: {
    domain: 'credentials',
    title: 'The tunnel named by the credentials does not exist',
    evidence: '`Unauthorized: Failed to get tunnel` in a registration error.',
    remediation: 'The tunnel was deleted or the token is for another account: create the tunnel again or use the token of an existing one.',
  },
  token_malformed: {
    domain: 'credentials',
    title: 'The tunnel token cannot be read',
    evidence: '`Provided Tunnel token is not valid.`, or a credentials file with invalid JSON.',
    remediation: 'The token is cut, quoted or has whitespace inside: paste it again from the dashboard as one line, without quotes, into cloudflared.tokenFile.',
  },
  edge_dns_failed: {
    domain: 'edge_reachability',
    title: 'The edge cannot be found: DNS lookup failed',
    evidence: '`Could not lookup srv records on _v2-origintunneld._tcp.argotunnel.com`, `edge discovery: error looking up Cloudflare edge IPs`, or the `DNS Resolution` pre-check FAIL.',
    remediation:
      "cloudflared finds the edge through DNS (SRV _v2-origintunneld._tcp.argotunnel.com, then region1/region2.v2.argotunnel.com): check the host's resolver (/etc/resolv.conf, the cluster DNS) and that outbound DNS is allowed, including SRV queries.",
  },
  tcp_7844_blocked: {
    domain: 'edge_reachability',
    title: 'TCP to the edge on port 7844 fails',
    evidence: '`Unable to establish connection with Cloudflare edge` with `DialContext error: dial tcp …:7844`, or the `TCP Connectivity` pre-check FAIL.',
    remediation: 'Allow outbound TCP to port 7844 (region1.v2.argotunnel.com, region2.v2.argotunnel.com) in the firewall or security group; cloudflared cannot use an HTTP proxy for its edge connections.',
  },
  udp_7844_blocked: {
    domain: 'protocol',
    title: 'QUIC (UDP 7844) to the edge is blocked',
    evidence: '`Switching to fallback protocol http2`, the QUIC-blocked hint, `failed to dial to edge with quic: timeout`, or the `UDP Connectivity` pre-check FAIL; kept while the connector stays on the fallback.',
    remediation:
      'Allow outbound UDP to port 7844 so cloudflared can use QUIC; until then it runs on HTTP/2 over TCP 7844, which works but is slower to reconnect. Set --protocol http2 to stop the QUIC attempts if UDP must stay closed.',
  },
  quic_fallback_persists: {
    domain: 'protocol',
    title: 'HTTP/2 fallback stays although UDP 7844 works again',
    evidence: 'the connector is on its fallback protocol while tunnelwatch\'s live UDP 7844 check gets a QUIC answer from the edge.',
    remediation: 'cloudflared never returns to QUIC by itself (cloudflared issue #1534): restart the connector gracefully at a quiet moment to get QUIC back, or let tunnelwatch do it (supervisor.restoreQuicAfter).',
  },
  edge_tls_failed: {
    domain: 'certificates',
    title: 'TLS to the edge fails: something on the path intercepts it',
    evidence: '`TLS handshake with edge error` in a dial error.',
    remediation:
      "A TLS-inspecting proxy or middlebox sits between cloudflared and the edge: exempt region1/region2.v2.argotunnel.com port 7844 from inspection; cloudflared trusts only Cloudflare's CA for the edge, so there is no setting to work around it.",
  },
  edge_closing_connections: {
    domain: 'edge_side',
    title: 'Connections to the edge keep dropping',
    evidence: 'the health model\'s `reconnect_storm`: connection losses in bursts within a minute.',
    remediation: 'Losses in bursts point at the network path (NAT or firewall idle timeouts, flaky uplink) or at edge maintenance: compare with the other replicas; if only this one drops, look at its network.',
  },
  origin_refused: {
    domain: 'origin',
    title: 'The origin refuses connections',
    evidence: 'an origin probe failing with `ECONNREFUSED`, or cloudflared\'s origin error line with `connection refused`.',
    remediation: 'Nothing listens at the service address of the ingress rule: start the origin, or fix the host and port in the rule (from inside a container, localhost is the container itself).',
  },
  origin_timeout: {
    domain: 'origin',
    title: 'The origin does not answer in time',
    evidence: 'an origin probe timing out, or cloudflared\'s origin error line with `i/o timeout`.',
    remediation: 'The origin is overloaded or a firewall drops the traffic: check its health and the path from this replica; raise originRequest.connectTimeout only if it is just slow.',
  },
  origin_unknown_host: {
    domain: 'origin',
    title: 'The origin host name does not resolve',
    evidence: 'an origin probe failing with `ENOTFOUND`/`EAI_AGAIN`, or cloudflared\'s origin error line with `no such host`.',
    remediation: "The service host in the ingress rule is not known to this replica's resolver: fix the name or the resolver (a Kubernetes Service name needs the namespace outside it).",
  },
  origin_tls_untrusted: {
    domain: 'certificates',
    title: "The origin's TLS certificate is not trusted",
    evidence: 'an origin probe failing certificate verification, or cloudflared\'s origin error line with `x509:`.',
    remediation:
      "Give cloudflared the CA that signed the origin's certificate (originRequest.caPool) and the name it was issued for (originRequest.originServerName); noTLSVerify only hides the problem and allows interception.",
  },
  origin_5xx: {
    domain: 'origin',
    title: 'The origin answers with server errors',
    evidence: 'an origin probe answered `status 5xx` where `origins.targets` sets the statuses that count as up.',
    remediation: "The origin is reachable but failing: look at its own logs; the tunnel is working.",
  },
  origin_slow: {
    domain: 'latency',
    title: 'The origin answers slowly',
    evidence: 'origin probes that succeed but take longer than diagnosis.originLatency (2 s by default).',
    remediation: "Visitors wait at least this long: look at the origin's load and at the path from this replica; compare with the other replicas' probes to tell the origin from this replica's network.",
  },
  edge_slow: {
    domain: 'latency',
    title: 'The path to the edge is slow',
    evidence: "cloudflared's QUIC smoothed RTT (quic_client_smoothed_rtt) above diagnosis.edgeRtt (500 ms by default) on a connection.",
    remediation: 'Every request pays this round trip: check the uplink and where the connections land (the colo in /status); a far colo often means DNS or routing sends this host to the wrong region.',
  },
  metrics_port_in_use: {
    domain: 'local',
    title: "cloudflared's metrics address is taken",
    evidence: '`Error opening metrics server listener … address already in use` before cloudflared exits 1.',
    remediation: 'Another process (often a second cloudflared) holds the metrics address: stop it, or give this connector another address with cloudflared.metrics.',
  },
  config_invalid: {
    domain: 'local',
    title: 'The cloudflared configuration is invalid',
    evidence: 'cloudflared\'s validation errors (`The last ingress rule must match all URLs`, `error parsing YAML`, …) or a pushed configuration it could not apply.',
    remediation: 'Run `tunnelwatch validate` on the config for the line and the fix; a pushed remote config is fixed in the dashboard.',
  },
  connector_crashed: {
    domain: 'local',
    title: 'cloudflared exits with an error',
    evidence: 'cloudflared restarting or crash-looping with an exit that no more specific cause explains; the exit and its last error line.',
    remediation: 'The fatal line below says why; fix that and the connector starts again (restarts stop after the crash-loop limit until tunnelwatch is restarted).',
  },
  connector_killed: {
    domain: 'local',
    title: 'cloudflared was killed from outside',
    evidence: 'cloudflared ended by SIGKILL (or exit 137) that tunnelwatch did not send.',
    remediation:
      'SIGKILL (exit 137) not sent by tunnelwatch is most often the kernel OOM killer: check `dmesg` or the container status for OOMKilled and raise the memory limit.',
  },
  connector_hung: {
    domain: 'local',
    title: 'cloudflared stopped answering and was restarted',
    evidence: "the supervisor's hang restart: no output and no answer from cloudflared's metrics server for supervisor.hangTimeout.",
    remediation: 'A stopped (SIGSTOP), starved or deadlocked process: check CPU throttling and memory pressure of the container; if it recurs, send SIGQUIT before the restart to get its goroutine dump.',
  },
  disconnected_too_long: {
    domain: 'edge_reachability',
    title: 'No connection came back, so cloudflared was restarted',
    evidence: "the supervisor's restart after supervisor.restartWhenDisconnectedFor without a registered connection.",
    remediation: 'cloudflared kept retrying without success: the other causes listed and its lines before the restart say why (edge reachability, credentials).',
  },
  single_replica: {
    domain: 'ha',
    title: 'Only one connector serves the tunnel',
    evidence: 'the Cloudflare API lists this connector as the only one of the tunnel.',
    remediation: 'The edge lists no other connector: this replica is a single point of failure; start the other replicas or find why they are not connected.',
  },
  other_tunnel: {
    domain: 'ha',
    title: 'This replica runs another tunnel than the one watched',
    evidence: "the tunnel id in cloudflared's `Starting tunnel` line differs from edge.tunnelId.",
    remediation: "The token belongs to another tunnel: this replica adds no capacity to the watched one. Give it the watched tunnel's token, or correct edge.tunnelId.",
  },
  version_skew: {
    domain: 'ha',
    title: 'Connectors of the tunnel run different cloudflared versions',
    evidence: 'the Cloudflare API lists connectors of the tunnel with different versions.',
    remediation: 'Replicas behave differently across versions: roll every replica to the same version.',
  },
  tunnel_not_serving: {
    domain: 'end_to_end',
    title: 'Connected but not serving: requests through the tunnel get no answer',
    evidence: "a request through the tunnel (endToEnd.urls) that Cloudflare took but nobody answered (524, or no answer before endToEnd.timeout) while cloudflared reports registered connections; with medium confidence, Cloudflare's 502 for a hostname whose origin this replica's probe reaches.",
    remediation:
      'The connector holds its connections but nothing comes back through them; over HTTP/2 cloudflared never notices an edge that stopped answering (no ping, no idle timeout). Restart the connector to get fresh connections, and allow UDP 7844 so it runs QUIC, which notices within seconds.',
  },
  tunnel_no_connector: {
    domain: 'end_to_end',
    title: 'Cloudflare finds no connector for the hostname (error 1033)',
    evidence: "a request through the tunnel answered by Cloudflare's 530 page with error code 1033.",
    remediation:
      "Cloudflare has no registered connector for the tunnel the hostname points at: if this replica holds registered connections, the hostname's DNS record points at another tunnel (its CNAME must be <tunnel id>.cfargotunnel.com of this tunnel); otherwise see the connector causes listed.",
  },
  tunnel_origin_error: {
    domain: 'end_to_end',
    title: 'Through the tunnel, the origin cannot be reached (502)',
    evidence: "a request through the tunnel answered by Cloudflare's 502 or 504 page while this replica's probe of the same hostname fails (or there is none).",
    remediation: "A connector could not reach the origin for this hostname: the origin causes listed say why; when this replica has no probe of it, compare the other replicas' probes and the ingress rule for the hostname.",
  },
  tunnel_edge_error: {
    domain: 'end_to_end',
    title: 'The request never reached a connector',
    evidence: "a request through the tunnel that failed before Cloudflare passed it on: no DNS answer, no connection or TLS with Cloudflare, or one of Cloudflare's own error pages other than 502, 524 and 1033.",
    remediation: "Check the hostname's DNS record (proxied, pointing at the tunnel), Cloudflare's status page, and this host's route to Cloudflare (endToEnd.entrance when set); the connector is not involved yet.",
  },
} as const satisfies Readonly<Record<string, CauseDefinition>>;

export type CauseId = keyof typeof CAUSES;
export const CAUSE_IDS = Object.keys(CAUSES) as readonly CauseId[];

/** The causes that explain the connector's own state (fewer connections or none), not its origins or its siblings. */
export const CONNECTOR_CAUSES: readonly CauseId[] = [
  'credentials_rejected',
  'tunnel_not_found',
  'token_malformed',
  'edge_dns_failed',
  'tcp_7844_blocked',
  'udp_7844_blocked',
  'edge_tls_failed',
  'edge_closing_connections',
  'metrics_port_in_use',
  'config_invalid',
  'connector_crashed',
  'connector_killed',
  'connector_hung',
  'disconnected_too_long',
];
