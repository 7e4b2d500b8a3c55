// The public face of src/telemetry/logs/: what the rest of tunnelwatch may use from it.
export { type DropEpisode, DropEpisodes } from './drop-episodes.js';
export { ConnectorKeep, KEEP, keepByLevel, type KeepClass, shippedKeep } from './keep.js';
export { LineBytes } from './line-bytes.js';
export { LogPipeline, type LineOutput, type PipelineCounters, type Route, type SpooledSink } from './log-pipeline.js';
export { connectorRecord, LEVEL_NAME, learnLabels, levelName, type LogRecord, type RecordLabels } from './log-record.js';
export { createLogger, type Logger, type LogMethod, type OwnLevel } from './logger.js';
export { pinoLine, recordSerialiser, type RecordSerialiser } from './record-format.js';
export { RecentLines } from './recent-lines.js';
export { Redactor } from './redact.js';
export { Repeats } from './repeats.js';
