// tunnelwatch's own logger: each call builds a record object and hands it to the pipeline, which redacts and
// serialises it once, as it does cloudflared's records; both get the same labels, redaction and sinks. The
// record has pino's shape (numeric `level`, epoch-ms `time`, `msg`), so pino tooling reads it.
import type { LogPipeline } from './log-pipeline.js';
import type { LogRecord, RecordLabels } from './log-record.js';

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export type OwnLevel = keyof typeof LEVELS;

export interface LoggerOptions {
  readonly level: OwnLevel;
  /** Read at every log call, so labels learnt later (connector id, version) appear on later records. */
  readonly labels: Readonly<RecordLabels>;
  /** Extra fields per record, e.g. the active trace and span ids. */
  readonly mixin?: () => object;
}

type Fields = Readonly<Record<string, unknown>>;

/** One level's method: `log.info('text')` or `log.info({ field: 1 }, 'text')`. */
export interface LogMethod {
  (msg: string): void;
  (fields: Fields, msg: string): void;
}

export type Logger = Readonly<Record<OwnLevel, LogMethod>>;

export function createLogger(pipeline: Pick<LogPipeline, 'write'>, options: LoggerOptions): Logger {
  const method = (level: OwnLevel): LogMethod => {
    if (LEVELS[level] < LEVELS[options.level]) return () => undefined;
    return (first: Fields | string, second?: string): void => {
      const [fields, msg] = typeof first === 'string' ? [{}, first] : [first, second ?? ''];
      // `source` is the pipeline's label, whatever a log call's fields said.
      const record: LogRecord = { level: LEVELS[level], time: Date.now(), ...options.labels, ...options.mixin?.(), ...fields, msg, source: 'tunnelwatch' };
      pipeline.write(record);
    };
  };
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}
