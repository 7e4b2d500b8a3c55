// Typed view of the cloudflared metrics tunnelwatch uses (names, types and labels per
// reference/cloudflared.md §3). A metric that is not served reads as undefined, never 0: vec metrics have no
// series until first used, and QUIC metrics exist only after the first QUIC dial.
import type { MetricType } from './exposition-line.js';
import type { Exposition, Sample } from './exposition.js';
import { findFamily, findSamples, sumValues, valuesByLabel } from './exposition-query.js';

/** One `cloudflared_tunnel_server_locations` series: 1 = the slot's current edge location, 0 = a previous one. */
export interface ServerLocation {
  readonly connIndex: number;
  readonly location: string;
  readonly value: number;
}

/** Labels of `build_info`; `revision` holds cloudflared's build time, `type` its build type (often empty). */
export interface BuildInfo {
  readonly version: string;
  readonly goVersion: string;
  readonly revision: string;
  readonly type: string;
}

/** `quic_client_*` gauges and counters of one HA connection slot (`conn_index`); RTTs are whole milliseconds. */
export interface QuicConnectionMetrics {
  readonly connIndex: number;
  readonly smoothedRttMs?: number;
  readonly minRttMs?: number;
  readonly latestRttMs?: number;
  readonly congestionWindowBytes?: number;
  /** Since 2026.8.0: 0 slow start, 1 congestion avoidance, 2 application limited, 3 recovery, -1 unknown. */
  readonly congestionState?: number;
  readonly mtuBytes?: number;
  readonly maxUdpPayloadBytes?: number;
  readonly sentBytes?: number;
  readonly receivedBytes?: number;
  /** Lost packets by `reason` (`reordering_threshold`/`time_threshold`; `reordering`/`timeout` before 2026.8.0). */
  readonly lostPackets?: Readonly<Record<string, number>>;
}

/** QUIC transport metrics; `totalConnections` and `closedConnections` are process-wide (no `conn_index`). */
export interface QuicMetrics {
  readonly totalConnections?: number;
  readonly closedConnections?: number;
  readonly connections: readonly QuicConnectionMetrics[];
}

/** The client_golang process collector's values that tunnelwatch reports. */
export interface ProcessMetrics {
  readonly startTimeSeconds?: number;
  readonly residentMemoryBytes?: number;
  readonly cpuSecondsTotal?: number;
  readonly openFds?: number;
}

/** What one cloudflared /metrics exposition says, typed; undefined marks a metric that was not served. */
export interface ConnectorMetrics {
  readonly haConnections?: number;
  readonly serverLocations?: readonly ServerLocation[];
  /** The `serverLocations` entries with value 1. */
  readonly currentLocations?: readonly ServerLocation[];
  readonly registerSuccessTotal?: number;
  readonly registerFailTotal?: number;
  readonly registerFailByError?: Readonly<Record<string, number>>;
  readonly totalRequests?: number;
  readonly requestErrors?: number;
  readonly concurrentRequests?: number;
  readonly responsesByCode?: Readonly<Record<string, number>>;
  readonly configVersion?: number;
  readonly buildInfo?: BuildInfo;
  /** Absent when no `quic_client_*` family is served (HTTP/2 connector, or no QUIC dial yet). */
  readonly quic?: QuicMetrics;
  readonly tcpActiveSessions?: number;
  readonly process: ProcessMetrics;
  /** Names of families only old cloudflared versions serve (reference/cloudflared.md §3.7). */
  readonly legacy: readonly string[];
  /** Known metrics served in an unexpected shape (type, labels, several series); values are still read. */
  readonly anomalies: readonly string[];
}

const Q = 'quic_client_';

/** Expected type of every family read here. */
const EXPECTED_TYPES: Readonly<Record<string, MetricType>> = {
  cloudflared_tunnel_ha_connections: 'gauge',
  cloudflared_tunnel_server_locations: 'gauge',
  cloudflared_tunnel_tunnel_register_success: 'counter',
  cloudflared_tunnel_tunnel_register_fail: 'counter',
  cloudflared_tunnel_total_requests: 'counter',
  cloudflared_tunnel_request_errors: 'counter',
  cloudflared_tunnel_concurrent_requests_per_tunnel: 'gauge',
  cloudflared_tunnel_response_by_code: 'counter',
  cloudflared_orchestration_config_version: 'gauge',
  cloudflared_tcp_active_sessions: 'gauge',
  build_info: 'gauge',
  [`${Q}total_connections`]: 'counter',
  [`${Q}closed_connections`]: 'counter',
  [`${Q}smoothed_rtt`]: 'gauge',
  [`${Q}min_rtt`]: 'gauge',
  [`${Q}latest_rtt`]: 'gauge',
  [`${Q}congestion_window`]: 'gauge',
  [`${Q}congestion_state`]: 'gauge',
  [`${Q}mtu`]: 'gauge',
  [`${Q}max_udp_payload`]: 'gauge',
  [`${Q}sent_bytes`]: 'counter',
  [`${Q}receive_bytes`]: 'counter',
  [`${Q}lost_packets`]: 'counter',
  process_start_time_seconds: 'gauge',
  process_resident_memory_bytes: 'gauge',
  process_cpu_seconds_total: 'counter',
  process_open_fds: 'gauge',
};

/** Per-connection QUIC gauges/counters with one series per `conn_index`. */
const QUIC_PER_CONN = {
  smoothedRttMs: `${Q}smoothed_rtt`,
  minRttMs: `${Q}min_rtt`,
  latestRttMs: `${Q}latest_rtt`,
  congestionWindowBytes: `${Q}congestion_window`,
  congestionState: `${Q}congestion_state`,
  mtuBytes: `${Q}mtu`,
  maxUdpPayloadBytes: `${Q}max_udp_payload`,
  sentBytes: `${Q}sent_bytes`,
  receivedBytes: `${Q}receive_bytes`,
} as const;

/** Removed in 2024.6.0 (timer_retries, authenticate_*) and 2024.10.1 (h2mux: active_streams, muxer_*). */
const LEGACY_NAMES: ReadonlySet<string> = new Set([
  'cloudflared_tunnel_timer_retries',
  'cloudflared_tunnel_tunnel_authenticate_success',
  'cloudflared_tunnel_tunnel_authenticate_fail',
  'cloudflared_tunnel_active_streams',
]);
const LEGACY_PREFIX = 'cloudflared_muxer_';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Reads the metrics tunnelwatch uses from a parsed cloudflared exposition; never throws. */
export function readConnectorMetrics(exposition: Exposition): ConnectorMetrics {
  const anomalies: string[] = [];
  for (const family of exposition.families) {
    const expected = EXPECTED_TYPES[family.name];
    if (expected !== undefined && family.type !== expected) {
      anomalies.push(`${family.name} is served as ${family.type}; expected ${expected}`);
    }
  }

  const single = (name: string): number | undefined => {
    const samples = findSamples(exposition, name);
    if (samples.length > 1) anomalies.push(`${name} has ${samples.length} series; expected one, used the first`);
    return samples[0]?.value;
  };

  /** Parses a slot index label ("0".."n"); reports and skips anything else. */
  const slot = (sample: Sample, label: string): number | undefined => {
    const text = sample.labels[label];
    if (text === undefined) anomalies.push(`${sample.name} has no ${label} label`);
    else if (!/^\d+$/.test(text)) anomalies.push(`${sample.name} has ${label}=${JSON.stringify(text)}; expected a slot number`);
    else return Number(text);
    return undefined;
  };

  const serverLocations = readServerLocations(exposition, slot, anomalies);
  const buildSample = findSamples(exposition, 'build_info')[0];
  const quic = readQuic(exposition, single, slot);
  const legacy = exposition.families
    .map((f) => f.name)
    .filter((name) => LEGACY_NAMES.has(name) || name.startsWith(LEGACY_PREFIX));

  return {
    haConnections: single('cloudflared_tunnel_ha_connections'),
    serverLocations,
    currentLocations: serverLocations?.filter((l) => l.value === 1),
    registerSuccessTotal: sumValues(exposition, 'cloudflared_tunnel_tunnel_register_success'),
    registerFailTotal: sumValues(exposition, 'cloudflared_tunnel_tunnel_register_fail'),
    registerFailByError: valuesByLabel(exposition, 'cloudflared_tunnel_tunnel_register_fail', 'error'),
    totalRequests: single('cloudflared_tunnel_total_requests'),
    requestErrors: single('cloudflared_tunnel_request_errors'),
    concurrentRequests: single('cloudflared_tunnel_concurrent_requests_per_tunnel'),
    responsesByCode: valuesByLabel(exposition, 'cloudflared_tunnel_response_by_code', 'status_code'),
    configVersion: single('cloudflared_orchestration_config_version'),
    buildInfo: buildSample && {
      version: buildSample.labels.version ?? '',
      goVersion: buildSample.labels.goversion ?? '',
      revision: buildSample.labels.revision ?? '',
      type: buildSample.labels.type ?? '',
    },
    quic,
    tcpActiveSessions: single('cloudflared_tcp_active_sessions'),
    process: {
      startTimeSeconds: single('process_start_time_seconds'),
      residentMemoryBytes: single('process_resident_memory_bytes'),
      cpuSecondsTotal: single('process_cpu_seconds_total'),
      openFds: single('process_open_fds'),
    },
    legacy,
    anomalies,
  };
}

function readServerLocations(
  exposition: Exposition,
  slot: (sample: Sample, label: string) => number | undefined,
  anomalies: string[],
): ServerLocation[] | undefined {
  const family = findFamily(exposition, 'cloudflared_tunnel_server_locations');
  if (!family || family.samples.length === 0) return undefined;
  const out: ServerLocation[] = [];
  for (const sample of family.samples) {
    const connIndex = slot(sample, 'connection_id');
    const location = sample.labels.edge_location;
    if (location === undefined) anomalies.push(`${sample.name} has no edge_location label`);
    if (connIndex !== undefined && location !== undefined) out.push({ connIndex, location, value: sample.value });
  }
  return out.sort((a, b) => a.connIndex - b.connIndex || (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
}

function readQuic(
  exposition: Exposition,
  single: (name: string) => number | undefined,
  slot: (sample: Sample, label: string) => number | undefined,
): QuicMetrics | undefined {
  if (!exposition.families.some((f) => f.name.startsWith(Q))) return undefined;
  const byIndex = new Map<number, Mutable<QuicConnectionMetrics>>();
  const conn = (index: number): Mutable<QuicConnectionMetrics> => {
    let c = byIndex.get(index);
    if (!c) byIndex.set(index, (c = { connIndex: index }));
    return c;
  };

  for (const [field, name] of Object.entries(QUIC_PER_CONN) as [keyof typeof QUIC_PER_CONN, string][]) {
    for (const sample of findSamples(exposition, name)) {
      const index = slot(sample, 'conn_index');
      if (index !== undefined) conn(index)[field] = sample.value;
    }
  }
  const lost = new Map<number, Record<string, number>>();
  for (const sample of findSamples(exposition, `${Q}lost_packets`)) {
    const index = slot(sample, 'conn_index');
    if (index === undefined) continue;
    const reasons = lost.get(index) ?? (Object.create(null) as Record<string, number>);
    const reason = sample.labels.reason ?? '';
    reasons[reason] = (reasons[reason] ?? 0) + sample.value;
    lost.set(index, reasons);
  }
  for (const [index, reasons] of lost) conn(index).lostPackets = reasons;

  return {
    totalConnections: single(`${Q}total_connections`),
    closedConnections: single(`${Q}closed_connections`),
    connections: [...byIndex.values()].sort((a, b) => a.connIndex - b.connIndex),
  };
}
