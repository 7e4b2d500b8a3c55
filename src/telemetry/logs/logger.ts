// tunnelwatch's own logger: pino, whose serialised lines are fed into the same pipeline as cloudflared's
// records, so both get the same labels, redaction and sinks. Own logs are few; the parse per line is cheap.
import { pino, type Logger } from 'pino';
import type { LogPipeline } from './log-pipeline.js';
import type { LogRecord, RecordLabels } from './log-record.js';

export interface LoggerOptions {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  /** Read at every log call, so labels learnt later (connector id, version) appear on later records. */
  readonly labels: Readonly<RecordLabels>;
  /** Extra fields per record, e.g. the active trace and span ids. */
  readonly mixin?: () => Record<string, unknown>;
}

export function createLogger(pipeline: LogPipeline, options: LoggerOptions): Logger {
  const destination = {
    write(line: string): void {
      let record: LogRecord;
      try {
        // `source` is the pipeline's label, whatever a log call's fields said.
        record = { ...(JSON.parse(line) as LogRecord), source: 'tunnelwatch' };
      } catch {
        record = { level: 50, time: Date.now(), msg: line.trimEnd(), source: 'tunnelwatch' };
      }
      pipeline.write(record);
    },
  };
  return pino(
    {
      level: options.level,
      base: undefined,
      mixin: () => ({ ...options.labels, ...options.mixin?.() }),
    },
    destination,
  );
}
