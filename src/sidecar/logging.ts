// The log pipeline from settings: redaction of every configured secret, the spooled sinks (Loki, syslog),
// stdout, and tunnelwatch's own logger feeding the same pipeline.
import { readTextOrUndefined, VERSION } from '../base/index.js';
import type { Settings } from '../config/index.js';
import { createLogger, type LineOutput, type Logger, LogPipeline, RecentLines, recordSerialiser, type RecordLabels, Redactor } from '../telemetry/logs/index.js';
import { openLokiSink, openSyslogSink, type SpoolPlace, type SpoolShipperSink } from '../telemetry/sinks/index.js';

export interface Logging {
  readonly pipeline: LogPipeline;
  /** The one redactor of every configured secret, for whatever else leaves tunnelwatch (/status, alerts). */
  readonly redactor: Redactor;
  readonly logger: Logger;
  /** The spooled sinks configured (Loki, syslog), for their metrics. */
  readonly sinks: readonly SpoolShipperSink<unknown>[];
  /** The newest records as written, for incident bundles. */
  readonly recent: RecentLines;
  /** Ships what is spooled until the deadline, then closes the spools. */
  stop(deadlineMs: number): Promise<void>;
}

export interface LoggingOptions {
  readonly stdout?: LineOutput;
  readonly labels: RecordLabels;
  readonly mixin?: () => Record<string, unknown>;
  readonly onSpoolDrop?: (sink: string, count: number, reason: 'overflow' | 'corrupt', level: string) => void;
  readonly fetch?: typeof fetch;
  /** Records arrive faster than the disk takes them (true), or the backlog has halved (false). */
  readonly onPressure?: (saturated: boolean) => void;
}

/** Every secret value tunnelwatch knows of, including the content of a token file. */
export function secretValues(settings: Settings): string[] {
  const file = settings.cloudflared.tokenFile;
  // An unreadable token file is cloudflared's error to report; there is nothing to redact then.
  const fromFile = file === undefined ? undefined : readTextOrUndefined(file)?.trim();
  const values = [settings.cloudflared.token, settings.edge.apiToken, settings.logs.loki?.password, settings.server.authToken].map((s) => s?.reveal());
  return [...values, fromFile].filter((v): v is string => v !== undefined && v !== '');
}

export async function startLogging(settings: Settings, options: LoggingOptions): Promise<Logging> {
  const place = (sink: string): SpoolPlace => ({
    dir: settings.logs.spoolDir,
    maxBytes: settings.logs.spoolMaxBytes,
    onDrop: (count, reason, level) => options.onSpoolDrop?.(sink, count, reason, level),
  });
  const { loki, syslog } = settings.logs;
  const sinks: SpoolShipperSink<unknown>[] = [];
  // The pipeline reports its own failures through the logger that writes into it.
  const self: { logger?: Logger } = {};
  const onProblem = (problem: string | undefined): void => {
    if (problem === undefined) self.logger?.info({ sink: 'loki' }, 'loki takes records again; the spooled ones follow');
    else self.logger?.error({ sink: 'loki', cause: problem }, `cannot ship to loki: ${problem}; records wait in the spool and are retried`);
  };
  if (loki !== undefined) sinks.push(await openLokiSink(loki, place('loki'), { onProblem, ...(options.fetch === undefined ? {} : { fetch: options.fetch }) }));
  // Chosen once: the default (pino) is the record as it is, at no cost per record.
  const serialise = recordSerialiser(settings.logs.format, VERSION);
  if (syslog !== undefined) sinks.push((await openSyslogSink(syslog, place('syslog'), serialise)));
  const redactor = new Redactor(secretValues(settings));
  // Enough for the minutes before an incident, bounded whatever the flood.
  const recent = new RecentLines(2000, 1 << 20);
  const pipeline = new LogPipeline({
    redactor,
    serialise,
    sinks,
    recent,
    ...(options.stdout === undefined ? {} : { stdout: options.stdout }),
    ...(options.onPressure === undefined ? {} : { onPressure: options.onPressure }),
    onSinkError: (sink, error, records) => {
      self.logger?.error({ sink, records, err: error instanceof Error ? error.message : String(error) }, `could not spool ${String(records)} records for ${sink}; they were written to stdout only`);
    },
  });
  const logger = createLogger(pipeline, { level: settings.logs.level, labels: options.labels, ...(options.mixin === undefined ? {} : { mixin: options.mixin }) });
  self.logger = logger;
  for (const sink of sinks) sink.start();
  return {
    pipeline,
    redactor,
    logger,
    sinks,
    recent,
    stop: async (deadlineMs) => {
      await pipeline.close();
      await Promise.all(sinks.map((sink) => sink.stop(deadlineMs)));
    },
  };
}
