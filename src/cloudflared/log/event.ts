// The typed form of one cloudflared output line. Produced by parseLogLine (line.ts); pure data.

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'panic';

/**
 * How the line was written: zerolog console text, zerolog JSON (`--output json` or a `--logfile`),
 * a line without a level (Go standard library `log`, quic-go, final fatal text), or an empty line.
 */
export type LogFormat = 'console' | 'json' | 'plain' | 'empty';

/** A value cloudflared attached to the event (`connIndex=0`, `"location":"lax01"`, ...). */
export type FieldValue = string | number | boolean | null;

interface Base {
  readonly format: LogFormat;
  /** Wrapper the line arrived in, when one was removed (journald, docker compose, kubectl, CRI log file). */
  readonly wrapper?: 'journald' | 'docker' | 'kubectl' | 'cri';
  /** Set on a CRI log file `P` record: a fragment of a longer line, to be joined with what follows. */
  readonly partial?: true;
  /** The time cloudflared wrote, as written (RFC3339 for zerolog lines, `2006/01/02 15:04:05` for Go log). */
  readonly time?: string;
  /** `time` as Unix milliseconds, when it could be read. */
  readonly timestamp?: number;
  /** Absent for lines without a level. */
  readonly level?: LogLevel;
  /** The message text; `''` when cloudflared logged none (origin errors do this). */
  readonly message: string;
  /** The `error` field, when present. */
  readonly error?: string;
  /** Every key/value field on the line except level, time, message and error, with numbers as numbers. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** HA connection slot, from the `connIndex` field. */
  readonly connIndex?: number;
  /** Edge IP of the slot (`ip` field). */
  readonly ip?: string;
}

export interface StartingEvent extends Base {
  readonly type: 'starting';
  readonly tunnelId?: string;
}
export interface VersionEvent extends Base {
  readonly type: 'version';
  readonly version: string;
  readonly checksum?: string;
}
export interface ConnectorIdEvent extends Base {
  readonly type: 'connector_id';
  readonly connectorId: string;
}
export interface MetricsServerEvent extends Base {
  readonly type: 'metrics_server';
  /** `host:port` the metrics server bound, e.g. `127.0.0.1:20241` or `[::]:20241`. */
  readonly address: string;
}
export interface InitialProtocolEvent extends Base {
  readonly type: 'initial_protocol';
  readonly protocol: string;
}
export interface RegisteredEvent extends Base {
  readonly type: 'registered';
  readonly connIndex: number;
  /** Edge connection UUID (`connection` field, or the UUID in the pre-2023.4.1 wording). */
  readonly connectionId?: string;
  readonly location?: string;
  readonly protocol?: string;
}
export interface UnregisteredEvent extends Base {
  readonly type: 'unregistered';
}
/** HTTP/2 `Lost connection with the edge`. */
export interface ConnectionLostEvent extends Base {
  readonly type: 'connection_lost';
}
/** A registered connection failed while serving (`Serve tunnel error`, `failed to serve tunnel connection`, ...). */
export interface ServeErrorEvent extends Base {
  readonly type: 'serve_error';
}
/** Dialling the edge failed (`Failed to dial a quic connection`, `Unable to establish connection with Cloudflare edge`, ...). */
export interface DialErrorEvent extends Base {
  readonly type: 'dial_error';
}
/** The edge refused registration (`Register tunnel error from server side`), e.g. `Unauthorized: Invalid tunnel secret`. */
export interface RegisterErrorEvent extends Base {
  readonly type: 'register_error';
}
export interface RetryingEvent extends Base {
  readonly type: 'retrying';
  /** The "up to" delay in milliseconds (`Retrying connection in up to 4s`). */
  readonly delayMs?: number;
}
/** `Connection terminated`: the slot's loop ended (with `error` unless it exited cleanly). */
export interface TerminatedEvent extends Base {
  readonly type: 'terminated';
}
export interface FallbackEvent extends Base {
  readonly type: 'fallback';
  /** The protocol switched to. */
  readonly protocol: string;
}
/** One proxied request could not reach its origin (the message-less ERR line). */
export interface OriginErrorEvent extends Base {
  readonly type: 'origin_error';
  readonly originService?: string;
  readonly ingressRule?: number;
  readonly cfRay?: string;
}
/** Follow-up or visitor-side request failures (`Request failed`, `failed to serve incoming request`, `Incoming request ended abruptly`). */
export interface RequestErrorEvent extends Base {
  readonly type: 'request_error';
}
export interface ConfigUpdatedEvent extends Base {
  readonly type: 'config_updated';
  readonly version?: number;
  /**
   * The pushed configuration as cloudflared logged it: the JSON of the remote config (ingress, originRequest,
   * warp-routing). Kept as text so the config reader decodes it once, with Go's rules and its positions.
   */
  readonly configJson?: string;
}
/** A pushed configuration could not be applied (`Failed to deserialize new configuration`, `Failed to update ingress`). */
export interface ConfigErrorEvent extends Base {
  readonly type: 'config_error';
  readonly version?: number;
}
export interface ShutdownEvent extends Base {
  readonly type: 'shutdown';
  /**
   * `signal`: graceful shutdown started by a signal; `fatal`: `Initiating shutdown` after a fatal error;
   * `drained`: `no more connections active and exiting`; `stopped`: `Tunnel server stopped`.
   */
  readonly phase: 'signal' | 'fatal' | 'drained' | 'stopped';
  readonly signal?: string;
}
/** cloudflared is about to exit on a start-up error (`Couldn't start tunnel`, `initial tunnel connection failed`). */
export interface FatalEvent extends Base {
  readonly type: 'fatal';
}
export interface OtherEvent extends Base {
  readonly type: 'other';
}

export type LogEvent =
  | StartingEvent
  | VersionEvent
  | ConnectorIdEvent
  | MetricsServerEvent
  | InitialProtocolEvent
  | RegisteredEvent
  | UnregisteredEvent
  | ConnectionLostEvent
  | ServeErrorEvent
  | DialErrorEvent
  | RegisterErrorEvent
  | RetryingEvent
  | TerminatedEvent
  | FallbackEvent
  | OriginErrorEvent
  | RequestErrorEvent
  | ConfigUpdatedEvent
  | ConfigErrorEvent
  | ShutdownEvent
  | FatalEvent
  | OtherEvent;

export type LogEventType = LogEvent['type'];
