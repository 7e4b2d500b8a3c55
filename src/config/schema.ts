import * as z from 'zod';
import { secretFlags } from '../cloudflared/config/index.js';
import {
  duration,
  flag,
  hostPort,
  httpUrl,
  integer,
  labelMap,
  nonEmpty,
  objectList,
  oneOf,
  ratio,
  secret,
  stringList,
  text,
} from './fields.js';

// tunnelwatch's own settings. Every object is strict: an unknown key is an error, never silently ignored.
// Durations are Go-style strings in the file ("5m") and milliseconds once parsed.

export const ALERT_NAMES = [
  'TunnelConnectorUnhealthy',
  'TunnelConnectorDegraded',
  'TunnelConnectorCrashLooping',
  'TunnelHALost',
  'TunnelReplicasSameZone',
  'TunnelOriginUnreachable',
  'TunnelOriginCertificateExpiring',
  'TunnelEndToEndFailing',
  'TunnelProtocolFallback',
  'TunnelReconnectStorm',
  'TunnelConnectorVersionSkew',
  'TunnelEdgeAPIUnavailable',
  'TunnelLogShippingBehind',
  'TunnelConfigInsecure',
  'Watchdog',
] as const;

const identity = z.strictObject({
  /** This replica's name in labels and alerts. Unset: $HOSTNAME (a pod's name), else the host's name. */
  replica: text().optional(),
  zone: text().optional(),
  /** A file holding the zone (written by `tunnelwatch node-zone`), read at start when zone is empty. */
  zoneFile: nonEmpty().optional(),
  labels: labelMap().prefault({}),
});

/** Attach mode: watch a cloudflared tunnelwatch does not start, through its log file and its metrics server. */
const attach = z.strictObject({
  /** cloudflared's JSON log file (its --logfile, or <--log-directory>/cloudflared.log) on a shared volume. */
  logFile: nonEmpty(),
  /** With no saved read position for this file: read it from its start, or only what is written from now on. */
  from: oneOf(['end', 'start']).prefault('end'),
  /** A file holding cloudflared's pid (shared process namespace): restarts asked by policy SIGTERM it. */
  pidFile: nonEmpty().optional(),
  /** How often the log file is read (and checked for rotation and truncation). */
  pollInterval: duration({ min: 10, max: 10_000 }).prefault('250ms'),
});

const cloudflared = z.strictObject({
  /** Path of the cloudflared binary, or `emulator` for the built-in emulator. */
  binary: nonEmpty().prefault('cloudflared'),
  /** cloudflared's own config file (ingress rules); optional for remotely-managed tunnels. */
  config: nonEmpty().optional(),
  token: secret().optional(),
  tokenFile: nonEmpty().optional(),
  metrics: hostPort().prefault('127.0.0.1:20241'),
  haConnections: integer(1, 16).prefault(4),
  protocol: oneOf(['auto', 'quic', 'http2']).prefault('auto'),
  // cloudflared refuses a grace period above 3m.
  gracePeriod: duration({ min: 0, max: 180_000 }).prefault('30s'),
  logLevel: oneOf(['debug', 'info', 'warn', 'error']).prefault('info'),
  extraArgs: stringList(z.string()).prefault([]),
  /** How often /ready, /metrics and /config are polled; log events arrive in between. */
  pollInterval: duration({ min: 100 }).prefault('5s'),
  attach: attach.optional(),
}).superRefine((c, ctx) => {
  if (c.attach !== undefined && /:0$/.test(c.metrics)) {
    ctx.addIssue({ code: 'custom', path: ['metrics'], input: c.metrics, message: `an attached cloudflared's metrics server must be at a fixed address (its --metrics, e.g. 127.0.0.1:20241), not ${c.metrics}` });
  }
  for (const { index, flag, instead } of secretFlags(c.extraArgs)) {
    ctx.addIssue({
      code: 'custom',
      path: ['extraArgs', index],
      input: '<secret>',
      message: `${flag} would put a secret on cloudflared's command line, where ps and /proc show it to every user of the host; use ${instead}`,
    });
  }
});

const supervisor = z.strictObject({
  restartBackoffInitial: duration({ min: 0 }).prefault('1s'),
  restartBackoffMax: duration({ min: 0 }).prefault('1m'),
  crashLoopRestarts: integer(1, 1000).prefault(5),
  crashLoopWindow: duration({ min: 1000 }).prefault('10m'),
  /** Restart a connector that is alive but has had no registered connection this long; `0s` turns it off. */
  restartWhenDisconnectedFor: duration({ min: 0 }).prefault('0s'),
  /**
   * After a fallback to HTTP/2, once the live UDP 7844 check (edge.reachabilityInterval) has answered QUIC this long,
   * restart cloudflared gracefully so it takes QUIC again (it never does on its own: cloudflared issue #1534); `0s`
   * turns it off.
   */
  restoreQuicAfter: duration({ min: 0 }).prefault('0s'),
  hangTimeout: duration({ min: 1000 }).prefault('2m'),
  maxLineBytes: integer(1024, 16 * 1024 * 1024).prefault(1024 * 1024),
});

const server = z.strictObject({
  listen: hostPort().prefault('0.0.0.0:9464'),
  /** Bearer token for /status and the status page when `listen` is not a loopback address. */
  authToken: secret().optional(),
  /** /readyz also requires every origin to be up (default: a registered connection is enough). */
  readyRequiresOrigins: flag().prefault(false),
  /** Serve cloudflared's own families (cloudflared_*, quic_client_*, flow_*, build_info) unchanged at /cloudflared/metrics. */
  cloudflaredMetrics: flag().prefault(true),
  /** How often the status page's trends are sampled; the last 720 samples are kept (6 hours at 30s). */
  historyInterval: duration({ min: 100 }).prefault('30s'),
});

const edge = z.strictObject({
  apiToken: secret().optional(),
  accountId: z
    .string({ error: 'expected a string' })
    .regex(/^[0-9a-f]{32}$/, { error: 'expected a 32-character lowercase hex account id' })
    .optional(),
  tunnelId: z.uuid({ error: 'expected a tunnel UUID' }).optional(),
  baseUrl: httpUrl().prefault('https://api.cloudflare.com/client/v4'),
  pollInterval: duration({ min: 1000 }).prefault('30s'),
  /** How often DNS, TCP 7844/443 and UDP 7844 reachability of the edge is checked; `0s` turns it off. */
  reachabilityInterval: duration({ min: 0 }).prefault('1m'),
  /** Share of the account's 1,200 requests per 5 minutes this replica may use. */
  budgetShare: ratio().prefault(0.25),
});

const originTarget = z.strictObject({
  name: nonEmpty(),
  url: nonEmpty(),
});

const origins = z.strictObject({
  interval: duration({ min: 1000 }).prefault('15s'),
  timeout: duration({ min: 100 }).prefault('5s'),
  concurrency: integer(1, 64).prefault(4),
  failuresToDown: integer(1, 100).prefault(3),
  successesToUp: integer(1, 100).prefault(2),
  targets: objectList(originTarget).prefault([]),
});

/** Requests through the tunnel as a visitor makes them: Cloudflare's entrance, the connector, the origin. */
const endToEnd = z.strictObject({
  /** Public URLs of the tunnel's hostnames (e.g. https://app.example.com/healthz); none turns the check off. */
  urls: stringList(httpUrl()).prefault([]),
  interval: duration({ min: 1000 }).prefault('30s'),
  timeout: duration({ min: 100 }).prefault('10s'),
  /** host:port to connect to instead of each URL's host (a pinned Cloudflare address, a test edge); the URL's host is still the Host header and TLS name. */
  entrance: hostPort().optional(),
});

/** Incident bundles: what this replica looked like when it went down (or when asked), kept on disk, redacted. */
const incidents = z.strictObject({
  /** Unset: `incidents` in logs.spoolDir. */
  dir: nonEmpty().optional(),
  /** Write one when the connector's state turns down. */
  onDown: flag().prefault(true),
  /** Bundles kept; older ones are removed, so the directory holds at most keep × maxBytes. */
  keep: integer(1, 1000).prefault(10),
  /** Largest bundle; the oldest records are left out to fit. */
  maxBytes: integer(64 * 1024, 256 * 1024 * 1024).prefault(4 * 1024 * 1024),
  /** Bundles on a state change at most this often: a flapping connector writes one, not hundreds. */
  minInterval: duration({ min: 0 }).prefault('10m'),
});

/** Self-fencing: a replica whose origins are all down steps aside while siblings serve them (off by default). */
const fencing = z.strictObject({
  enabled: flag().prefault(false),
  /** The siblings' tunnelwatch base URLs (e.g. http://tunnelwatch-1.tunnelwatch:9464). */
  peers: stringList(httpUrl()).prefault([]),
  /** host:port of a name whose A/AAAA records are the siblings (a headless Service), in addition to peers. */
  peersDns: hostPort().optional(),
  /** How often the siblings' /status is read. */
  interval: duration({ min: 1000 }).prefault('10s'),
  /** How long the conditions must hold before this replica fences. */
  after: duration({ min: 0 }).prefault('1m'),
  /** How long some origin must answer again before it unfences. */
  unfenceAfter: duration({ min: 0 }).prefault('30s'),
  /** Siblings that must serve what this replica cannot. */
  minServingPeers: integer(1, 100).prefault(1),
});

/** Thresholds the diagnosis names latency causes by. */
const diagnosis = z.strictObject({
  /** An origin that answers its probe slower than this is named slow (origin_slow). */
  originLatency: duration({ min: 1 }).prefault('2s'),
  /** A QUIC connection to the edge with a smoothed RTT above this is named slow (edge_slow). */
  edgeRtt: duration({ min: 1 }).prefault('500ms'),
});

const alertRule = z.strictObject({
  alert: oneOf(ALERT_NAMES),
  enabled: flag().prefault(true),
  for: duration({ min: 0 }).optional(),
  keepFiringFor: duration({ min: 0 }).optional(),
  severity: oneOf(['critical', 'warning', 'info']).optional(),
  threshold: z.number({ error: 'expected a number' }).optional(),
});

/** Where the static rule files (alerts/*.rules.yaml, the PrometheusRule) point `runbook_url`: they need one absolute URL. */
export const RULES_RUNBOOK_BASE_URL = 'https://github.com/tunnelwatch/tunnelwatch/blob/main/docs/runbooks';

const alerts = z.strictObject({
  alertmanagers: stringList(httpUrl()).prefault([]),
  /** How often the built-in rules are evaluated. */
  evaluationInterval: duration({ min: 100 }).prefault('15s'),
  resendInterval: duration({ min: 1000 }).prefault('1m'),
  /**
   * Where `runbook_url` annotations and the causes' runbook links point: `<runbookBaseUrl>/<AlertName>.md`.
   * Unset: the runbooks this replica serves itself, `<externalUrl>/runbooks` (see config/urls.ts).
   */
  runbookBaseUrl: httpUrl().optional(),
  /** This replica's URL as Alertmanager users reach it, for `generatorURL` (default: http://<server.listen>). */
  externalUrl: httpUrl().optional(),
  rules: objectList(alertRule).prefault([]),
});

const repeats = z.strictObject({
  /** A cloudflared line repeating within this window is shipped `burst` times, then summed into one record; `0s` turns it off. stdout's, and each sink's unless it sets its own (logs.loki.repeats, logs.syslog.repeats). */
  window: duration({ min: 0 }).prefault('10s'),
  burst: integer(1, 10_000).prefault(5),
});

/** A sink's own repeat settings; what it leaves out is logs.repeats'. */
const sinkRepeats = z.strictObject({
  window: duration({ min: 0 }).optional(),
  burst: integer(1, 10_000).optional(),
});

const loki = z.strictObject({
  url: httpUrl(),
  tenant: nonEmpty().optional(),
  username: nonEmpty().optional(),
  password: secret().optional(),
  labels: labelMap().prefault({}),
  /** Most records in one push. */
  batchMaxRecords: integer(1, 100_000).prefault(1000),
  /** Most bytes of lines in one push; keep it under the tenant's ingestion burst (Loki refuses a larger push with a 429 for ever). Pushes shrink below it on their own while Loki rate-limits. */
  batchMaxBytes: integer(4096, 64 * 1024 * 1024).prefault(1024 * 1024),
  /** How this sink collapses cloudflared's repeated lines (default: logs.repeats, which stdout follows). */
  repeats: sinkRepeats.optional(),
});

const syslog = z.strictObject({
  host: nonEmpty(),
  port: integer(1, 65535).prefault(514),
  protocol: oneOf(['tcp', 'udp', 'tls']).prefault('tcp'),
  /** PEM CA bundle that signs the receiver's certificate (protocol tls); default: Node's built-in CA list. */
  caFile: nonEmpty().optional(),
  /** RFC 5424 facility: 1 (user) by default; 16..23 are local0..local7. */
  facility: integer(0, 23).prefault(1),
  appName: nonEmpty().prefault('tunnelwatch'),
  /** How this sink collapses cloudflared's repeated lines (default: logs.repeats, which stdout follows). */
  repeats: sinkRepeats.optional(),
});


const logs = z.strictObject({
  level: oneOf(['debug', 'info', 'warn', 'error']).prefault('info'),
  /** Field names of every record on every sink: pino's (the default), the OpenTelemetry log data model's, or Elastic Common Schema's. */
  format: oneOf(['pino', 'otel', 'ecs']).prefault('pino'),
  repeats: repeats.prefault({}),
  loki: loki.optional(),
  syslog: syslog.optional(),
  /** Unset: $STATE_DIRECTORY/spool, $XDG_STATE_HOME/tunnelwatch/spool or ~/.local/state/tunnelwatch/spool (see defaultSpoolDir). */
  spoolDir: nonEmpty().prefault('~/.local/state/tunnelwatch/spool'),
  spoolMaxBytes: integer(1024 * 1024, Number.MAX_SAFE_INTEGER).prefault(256 * 1024 * 1024),
});

export const settingsSchema = z.strictObject({
  identity: identity.prefault({}),
  cloudflared: cloudflared.prefault({}),
  supervisor: supervisor.prefault({}),
  server: server.prefault({}),
  edge: edge.prefault({}),
  origins: origins.prefault({}),
  diagnosis: diagnosis.prefault({}),
  endToEnd: endToEnd.prefault({}),
  incidents: incidents.prefault({}),
  fencing: fencing.prefault({}),
  alerts: alerts.prefault({}),
  logs: logs.prefault({}),
}).superRefine((s, ctx) => {
  if (s.cloudflared.attach !== undefined && s.fencing.enabled) {
    ctx.addIssue({ code: 'custom', path: ['fencing', 'enabled'], input: true, message: 'fencing keeps the connector down while its origins are, which an attached cloudflared (cloudflared.attach) does not let tunnelwatch do; turn fencing off, or let tunnelwatch run cloudflared' });
  }
});

/** tunnelwatch's validated settings. */
export type Settings = z.output<typeof settingsSchema>;
