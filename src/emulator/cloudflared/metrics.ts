// cloudflared's own Prometheus metrics, with the names, types, labels and HELP texts of its source
// (connection/metrics.go, tunnelsforha.go, supervisor/metrics.go, proxy/metrics.go, orchestration/metrics.go,
// tunnelrpc/metrics/metrics.go, datagramsession/metrics.go, ingress/icmp_metrics.go, flow/metrics.go,
// quic/metrics.go, metrics/metrics.go build_info), held in a prom-client Registry. Vec metrics have no series
// until first observed; the QUIC family is registered on the first QUIC dial, as quic/metrics.go does.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { goFloat, writeExposition, type Family, type FamilyType, type Sample } from './exposition-writer.js';
import { GO_VERSION, runtimeFamilies, type RuntimeView } from './go-runtime.js';

/** ExponentialBuckets(0.05, 3, 5), computed like Go so the `le` labels match to the last digit. */
const RPC_BUCKETS = ((): number[] => {
  const out: number[] = [];
  let start = 0.05;
  for (let i = 0; i < 5; i++) {
    out.push(start);
    start *= 3;
  }
  return out;
})();

/** quic/metrics.go: per-HA-connection transport metrics, label `conn_index`. */
export type QuicMetrics = ReturnType<typeof createQuicMetrics>;

function createQuicMetrics(registry: Registry) {
  const registers = [registry];
  const c = (name: string, help: string, labelNames: string[] = []): Counter =>
    new Counter({ name: `quic_client_${name}`, help, labelNames, registers });
  const g = (name: string, help: string): Gauge => new Gauge({ name: `quic_client_${name}`, help, labelNames: ['conn_index'], registers });
  return {
    totalConnections: c('total_connections', 'Number of connections initiated'),
    closedConnections: c('closed_connections', 'Number of connections that has been closed'),
    maxUdpPayload: g('max_udp_payload', 'Maximum UDP payload size in bytes for a QUIC packet'),
    sentFrames: c('sent_frames', 'Number of frames that have been sent through a connection', ['conn_index', 'frame_type']),
    sentBytes: c('sent_bytes', 'Number of bytes that have been sent through a connection', ['conn_index']),
    receivedFrames: c('received_frames', 'Number of frames that have been received through a connection', ['conn_index', 'frame_type']),
    receivedBytes: c('receive_bytes', 'Number of bytes that have been received through a connection', ['conn_index']),
    bufferedPackets: c('buffered_packets', 'Number of bytes that have been buffered on a connection', ['conn_index', 'packet_type']),
    droppedPackets: c('dropped_packets', 'Number of bytes that have been dropped on a connection', ['conn_index', 'packet_type', 'reason']),
    lostPackets: c('lost_packets', 'Number of packets that have been lost from a connection', ['conn_index', 'reason']),
    minRtt: g('min_rtt', 'Lowest RTT measured on a connection in millisec'),
    latestRtt: g('latest_rtt', 'Latest RTT measured on a connection'),
    smoothedRtt: g('smoothed_rtt', 'Calculated smoothed RTT measured on a connection in millisec'),
    mtu: g('mtu', 'Current maximum transmission unit (MTU) of a connection'),
    congestionWindow: g('congestion_window', 'Current congestion window size'),
    congestionState: g(
      'congestion_state',
      'Current congestion control state (0=slow_start, 1=congestion_avoidance, 2=application_limited, 3=recovery, -1=unknown)',
    ),
    packetTooBigDropped: c('packet_too_big_dropped', 'Count of packets received from origin that are too big to send to the edge and are dropped as a result'),
  };
}

export class CloudflaredMetrics {
  readonly registry = new Registry();
  readonly #r = [this.registry];
  #quic: QuicMetrics | undefined;
  readonly #locations = new Map<string, string>();

  constructor(version: string, buildTime: string) {
    new Gauge({ name: 'build_info', help: 'Build and version information', labelNames: ['goversion', 'type', 'revision', 'version'], registers: this.#r })
      .labels({ goversion: GO_VERSION, type: '', revision: buildTime, version })
      .set(1);
  }

  // supervisor/metrics.go
  readonly haConnections = new Gauge({ name: 'cloudflared_tunnel_ha_connections', help: 'Number of active ha connections', registers: this.#r });
  // proxy/metrics.go
  readonly totalRequests = new Counter({ name: 'cloudflared_tunnel_total_requests', help: 'Amount of requests proxied through all the tunnels', registers: this.#r });
  readonly concurrentRequests = new Gauge({ name: 'cloudflared_tunnel_concurrent_requests_per_tunnel', help: 'Concurrent requests proxied through each tunnel', registers: this.#r });
  readonly responseByCode = new Counter({ name: 'cloudflared_tunnel_response_by_code', help: 'Count of responses by HTTP status code', labelNames: ['status_code'], registers: this.#r });
  readonly requestErrors = new Counter({ name: 'cloudflared_tunnel_request_errors', help: 'Count of error proxying to origin', registers: this.#r });
  readonly tcpActiveSessions = new Gauge({ name: 'cloudflared_tcp_active_sessions', help: 'Concurrent count of TCP sessions that are being proxied to any origin', registers: this.#r });
  readonly tcpTotalSessions = new Counter({ name: 'cloudflared_tcp_total_sessions', help: 'Total count of TCP sessions that have been proxied to any origin', registers: this.#r });
  readonly connectLatency = new Histogram({ name: 'cloudflared_proxy_connect_latency', help: 'Time it takes to establish and acknowledge connections in milliseconds', buckets: [1, 10, 25, 50, 100, 500, 1000, 5000], registers: this.#r });
  readonly connectStreamErrors = new Counter({ name: 'cloudflared_proxy_connect_streams_errors', help: 'Total count of failure to establish and acknowledge connections', registers: this.#r });
  // orchestration/metrics.go
  readonly configVersion = new Gauge({ name: 'cloudflared_orchestration_config_version', help: 'Configuration Version', registers: this.#r });
  // tunnelrpc/metrics/metrics.go
  readonly rpcServerOperations = new Counter({ name: 'cloudflared_rpc_server_operations', help: 'Number of rpc methods by handler served', labelNames: ['handler', 'method'], registers: this.#r });
  readonly rpcServerFailures = new Counter({ name: 'cloudflared_rpc_server_failures', help: 'Number of rpc methods failures by handler served', labelNames: ['handler', 'method'], registers: this.#r });
  readonly rpcServerLatency = new Histogram({ name: 'cloudflared_rpc_server_latency_secs', help: 'Latency of rpc methods by handler served', labelNames: ['handler', 'method'], buckets: RPC_BUCKETS, registers: this.#r });
  readonly rpcClientOperations = new Counter({ name: 'cloudflared_rpc_client_operations', help: 'Number of rpc methods by handler requested', labelNames: ['handler', 'method'], registers: this.#r });
  readonly rpcClientFailures = new Counter({ name: 'cloudflared_rpc_client_failures', help: 'Number of rpc method failures by handler requested', labelNames: ['handler', 'method'], registers: this.#r });
  readonly rpcClientLatency = new Histogram({ name: 'cloudflared_rpc_client_latency_secs', help: 'Latency of rpc methods by handler requested', labelNames: ['handler', 'method'], buckets: RPC_BUCKETS, registers: this.#r });
  // datagramsession/metrics.go, ingress/icmp_metrics.go, flow/metrics.go
  readonly udpActiveSessions = new Gauge({ name: 'cloudflared_udp_active_sessions', help: 'Concurrent count of UDP sessions that are being proxied to any origin', registers: this.#r });
  readonly udpTotalSessions = new Counter({ name: 'cloudflared_udp_total_sessions', help: 'Total count of UDP sessions that have been proxied to any origin', registers: this.#r });
  readonly icmpRequests = new Counter({ name: 'cloudflared_icmp_total_requests', help: 'Total count of ICMP requests that have been proxied to any origin', registers: this.#r });
  readonly icmpReplies = new Counter({ name: 'cloudflared_icmp_total_replies', help: 'Total count of ICMP replies that have been proxied from any origin', registers: this.#r });
  readonly flowRateLimited = new Counter({ name: 'flow_client_registrations_rate_limited_total', help: 'Count registrations dropped due to high number of concurrent flows being handled', labelNames: ['flow_type'], registers: this.#r });
  // connection/metrics.go and tunnelsforha.go (registered when `tunnel run` builds its observer)
  readonly maxConcurrentRequests = new Gauge({ name: 'cloudflared_tunnel_max_concurrent_requests_per_tunnel', help: 'Largest number of concurrent requests proxied through each tunnel so far', labelNames: ['connection_id'], registers: this.#r });
  readonly serverLocations = new Gauge({ name: 'cloudflared_tunnel_server_locations', help: 'Where each tunnel is connected to. 1 means current location, 0 means previous locations.', labelNames: ['connection_id', 'edge_location'], registers: this.#r });
  readonly rpcFail = new Counter({ name: 'cloudflared_tunnel_tunnel_rpc_fail', help: 'Count of RPC connection errors by type', labelNames: ['error', 'rpcName'], registers: this.#r });
  readonly registerFail = new Counter({ name: 'cloudflared_tunnel_tunnel_register_fail', help: 'Count of tunnel registration errors by type', labelNames: ['error', 'rpcName'], registers: this.#r });
  readonly userHostnames = new Counter({ name: 'cloudflared_tunnel_user_hostnames_counts', help: 'Which user hostnames cloudflared is serving', labelNames: ['userHostname'], registers: this.#r });
  readonly registerSuccess = new Counter({ name: 'cloudflared_tunnel_tunnel_register_success', help: 'Count of successful tunnel registrations', labelNames: ['rpcName'], registers: this.#r });
  readonly tunnelIds = new Gauge({ name: 'tunnel_ids', help: 'The ID of all tunnels (and their corresponding HA connection ID) running in this instance of cloudflared.', labelNames: ['tunnel_id', 'ha_conn_id'], registers: this.#r });
  readonly localConfigPushes = new Counter({ name: 'cloudflared_config_local_config_pushes', help: 'Number of local configuration pushes to the edge', registers: this.#r });
  readonly localConfigPushesErrors = new Counter({ name: 'cloudflared_config_local_config_pushes_errors', help: 'Number of errors occurred during local configuration pushes', registers: this.#r });

  /** quic/metrics.go registers its collectors on the first QUIC dial. */
  quic(): QuicMetrics {
    this.#quic ??= createQuicMetrics(this.registry);
    return this.#quic;
  }

  get quicRegistered(): boolean {
    return this.#quic !== undefined;
  }

  /** observer.registerServerLocation: the old (slot, colo) series drops to 0 and stays. */
  registerServerLocation(connIndex: number, location: string): void {
    const id = String(connIndex);
    const old = this.#locations.get(id);
    if (old === location) return;
    if (old !== undefined) this.serverLocations.labels({ connection_id: id, edge_location: old }).dec();
    this.serverLocations.labels({ connection_id: id, edge_location: location }).inc();
    this.#locations.set(id, location);
  }

  /** An RPC cloudflared made (registration client), timed in seconds. */
  rpcClient(handler: string, method: string, seconds: number, failed: boolean): void {
    this.rpcClientOperations.labels({ handler, method }).inc();
    this.rpcClientLatency.labels({ handler, method }).observe(seconds);
    if (failed) this.rpcClientFailures.labels({ handler, method }).inc();
  }

  /** An RPC the edge made to cloudflared (configuration push). */
  rpcServer(handler: string, method: string, seconds: number, failed: boolean): void {
    this.rpcServerOperations.labels({ handler, method }).inc();
    this.rpcServerLatency.labels({ handler, method }).observe(seconds);
    if (failed) this.rpcServerFailures.labels({ handler, method }).inc();
  }

  /** Every family, cloudflared's and the default collectors'. */
  async families(view: RuntimeView, now: number): Promise<Family[]> {
    const json = await this.registry.getMetricsAsJSON();
    const own = json.map((metric): Family => {
      const samples: Sample[] = metric.values.map((v) => {
        const labels: Record<string, string> = {};
        for (const [k, value] of Object.entries(v.labels)) {
          if (value === undefined) continue;
          labels[k] = k === 'le' && typeof value === 'number' ? goFloat(value) : String(value);
        }
        const name = (v as { metricName?: string }).metricName ?? metric.name;
        return { name, labels, value: v.value };
      });
      return { name: metric.name, help: metric.help, type: String(metric.type) as FamilyType, samples };
    });
    return [...own, ...runtimeFamilies(view, now)];
  }

  async exposition(view: RuntimeView, now: number): Promise<string> {
    return writeExposition(await this.families(view, now));
  }
}
