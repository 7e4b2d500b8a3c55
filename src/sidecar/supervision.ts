// The supervisor wired to the rest: every cloudflared line parsed once and fanned out (log record, metrics,
// labels, the health model), every restart logged with its reason and counted, and the "disconnected too
// long" restart driven by the health model's count of registered connections (the one owner of that state).
import { errorText, JsonMender, type LogEvent, parseLogLine, repeatKey, salvageCutJson } from '../cloudflared/log/index.js';
import type { Settings } from '../config/index.js';
import type { ProcessObservation } from '../state/index.js';
import type { Diagnosis } from '../diagnosis/index.js';
import { describeReason, HeldWatch, type RestartReason, type Connector } from '../supervisor/index.js';
import { connectorRecord, learnLabels, type RecordLabels } from '../telemetry/logs/index.js';
import type { PipelineMetrics } from '../telemetry/metrics/index.js';
import { pointSpan } from '../telemetry/tracing/index.js';
import { CollapsingWriter, outputsOf } from './collapsing-writer.js';
import type { Logging } from './logging.js';

export interface SupervisionOptions {
  readonly settings: Settings;
  /** Built, not yet started: the parts wired before it (log backpressure, metrics) already hold it. */
  readonly supervisor: Connector;
  readonly logging: Logging;
  readonly metrics: PipelineMetrics;
  /** Shared with the logger: learnt connector id, version and tunnel id show on every later record. */
  readonly labels: RecordLabels;
  /** Called for every event before `registered` is read: the health model takes it there. */
  readonly onEvent?: (event: LogEvent, at: number) => void;
  /** Connections registered now, as the health model counts them. */
  readonly registered: () => number;
  readonly onProcess?: (observation: ProcessObservation) => void;
  readonly now?: () => number;
}

export interface Supervision {
  readonly supervisor: Connector;
  /** Unix ms of the latest restarts (at most 100), oldest first. */
  readonly restarts: readonly number[];
  /** The `quic_fallback_persists` cause as diagnosed now, or undefined: restores QUIC once it held long enough. */
  quicFallbackPersists(cause: Diagnosis | undefined): void;
}

export function startSupervision(o: SupervisionOptions): Supervision {
  const now = o.now ?? Date.now;
  const log = o.logging.logger;
  const { supervisor } = o;
  /** The running (or last) cloudflared's latest error line: an exit is reported with it, since it usually says why. */
  let lastError: string | undefined;
  const restarts: number[] = [];
  const records = new CollapsingWriter({
    outputs: outputsOf(o.settings.logs, o.logging.sinks.map((sink) => sink.name)),
    write: (record, route) => { o.logging.pipeline.write(record, route); },
    collapsed: (output) => { o.metrics.lineCollapsed(output); },
    now,
  });
  const counted = (reason: RestartReason): void => {
    o.metrics.restarted(reason.kind);
    restarts.push(now());
    if (restarts.length > 100) restarts.shift();
  };
  /** Policy asks for a restart; an attached cloudflared without a pid file can only be restarted by its orchestrator. */
  const restart = (reason: RestartReason): void => {
    if (supervisor.restartChild(reason) || o.settings.cloudflared.attach === undefined) return;
    log.warn({ reason: reason.kind }, `cannot restart the attached cloudflared (${describeReason(reason)}): set cloudflared.attach.pidFile with a shared process namespace, or let its orchestrator restart it (a liveness probe on its /ready)`);
  };
  const lastWords = (): string => (lastError === undefined ? '' : `; its last error: ${lastError}`);
  const why = (reason: RestartReason): string => `${describeReason(reason)}${lastWords()}`;
  const process = (phase: ProcessObservation['phase'], extra: { pid?: number; lastExit?: string } = {}): void => {
    o.onProcess?.({ kind: 'process', at: now(), phase, ...extra });
  };
  const disconnectAfter = o.settings.supervisor.restartWhenDisconnectedFor;
  const watch =
    disconnectAfter > 0
      ? new HeldWatch({
          afterMs: disconnectAfter,
          onExpire: () => {
            log.warn({ after_ms: disconnectAfter }, `cloudflared has had no registered connection for ${String(disconnectAfter / 1000)}s; restarting it`);
            restart({ kind: 'disconnected_too_long' });
          },
        })
      : undefined;

  const restoreAfter = o.settings.supervisor.restoreQuicAfter;
  /** The evidence of the fallback outliving its cause, as last diagnosed: the restart is logged with it. */
  let fallback: Diagnosis | undefined;
  const restore =
    restoreAfter > 0
      ? new HeldWatch({
          afterMs: restoreAfter,
          onExpire: () => {
            const evidence = fallback?.evidence.map((e) => e.text).join('; ') ?? '';
            log.warn(
              { event: 'restore_quic', after_ms: restoreAfter, evidence },
              `cloudflared has stayed on HTTP/2 since its fallback although QUIC to the edge answers again (${evidence}) for ${String(restoreAfter / 1000)}s; restarting it gracefully so it takes QUIC again (supervisor.restoreQuicAfter)`,
            );
            pointSpan('connector restore_quic', { after_ms: restoreAfter, evidence });
            restart({ kind: 'restore_quic' });
          },
        })
      : undefined;

  /** One event of cloudflared's: logged (`raw` is the text it came from), counted, and fed to the models. */
  const take = (event: LogEvent, raw: string, meta: { stream: 'stdout' | 'stderr'; pid?: number; truncated: boolean; mended: boolean }, at: number): void => {
    o.metrics.lineParsed(event.format, meta.mended);
    lastError = errorText(event) ?? lastError;
    learnLabels(o.labels, event);
    const { stream, pid, truncated } = meta;
    if (event.format !== 'empty') records.write(connectorRecord(event, raw, { stream, time: at, ...(pid === undefined ? {} : { pid }), truncated }, o.labels), repeatKey(event), at);
    o.onEvent?.(event, at);
    watch?.update(o.registered() === 0);
  };
  /** Torn JSON lines are put back together per output stream of the running process (see src/cloudflared/log/mend.ts). */
  let menders = { stdout: new JsonMender(), stderr: new JsonMender() };
  const flushMenders = (pid: number | undefined): void => {
    for (const stream of ['stdout', 'stderr'] as const) {
      for (const text of menders[stream].flush()) take(parseLogLine(text), text, { stream, ...(pid === undefined ? {} : { pid }), truncated: false, mended: true }, now());
    }
  };

  supervisor.on('line', ({ stream, line, truncated, tail, pid }) => {
    const at = now();
    o.metrics.lineRead(stream, truncated);
    const meta = { stream, ...(pid === undefined ? {} : { pid }), truncated, mended: false };
    // A cut line is read from what its head and tail still say; `raw` keeps the head as it came.
    const salvaged = truncated && tail !== undefined ? salvageCutJson(line, tail) : undefined;
    const event = parseLogLine(salvaged ?? line);
    const mender = menders[stream];
    const mended = truncated || (event.format === 'json' && !mender.pending) ? undefined : mender.mend(line);
    if (mended === undefined) {
      take(event, line, meta, at);
      return;
    }
    for (const text of mended.events) take(parseLogLine(text), text, { ...meta, mended: true }, at);
    for (const text of mended.orphans) take(parseLogLine(text), text, meta, at);
  });
  supervisor.on('started', ({ pid, run }) => {
    lastError = undefined;
    records.runStarted();
    menders = { stdout: new JsonMender(), stderr: new JsonMender() };
    log.info({ pid, run }, `cloudflared started (pid ${String(pid)}, run ${String(run)})`);
    watch?.update(true);
    process('running', { pid });
  });
  supervisor.on('exited', ({ code, signal, killed, durationMs, reason, pid }) => {
    flushMenders(pid);
    watch?.stop();
    restore?.stop();
    records.flush();
    const how = reason === undefined ? `code ${String(code)}${signal === null ? '' : `, signal ${signal}`}` : describeReason(reason);
    const fields = { pid, code, signal, killed, up_ms: Math.round(durationMs), reason: reason?.kind, ...(reason === undefined || lastError === undefined ? {} : { last_error: lastError }) };
    const said = reason === undefined ? '' : lastWords();
    log[reason === undefined ? 'info' : 'warn'](fields, `cloudflared exited (${how}) after ${(durationMs / 1000).toFixed(1)}s${said}`);
  });
  supervisor.on('restarting', ({ reason, delayMs, attempt }) => {
    counted(reason);
    pointSpan('connector restart', { reason: reason.kind, delay_ms: delayMs, attempt });
    log.warn({ reason: reason.kind, delay_ms: Math.round(delayMs), attempt }, `restarting cloudflared in ${(delayMs / 1000).toFixed(1)}s (${describeReason(reason)})`);
    process('backoff', { lastExit: why(reason) });
  });
  supervisor.on('breaker_open', ({ restarts, windowMs, last }) => {
    log.error(
      { restarts, window_ms: windowMs, reason: last.kind },
      `cloudflared is crash-looping (${String(restarts)} restarts within ${String(windowMs / 1000)}s, last: ${why(last)}); not restarting it any more — fix the cause and restart tunnelwatch`,
    );
    process('breaker_open', { lastExit: why(last) });
  });
  supervisor.on('attached', ({ file, pid }) => {
    watch?.update(true);
    process('attached', pid === undefined ? {} : { pid });
    log.info({ log_file: file, ...(pid === undefined ? {} : { pid }) }, `following cloudflared's log ${file}${pid === undefined ? '' : ` (pid ${String(pid)})`}`);
  });
  supervisor.on('follow', (event) => {
    const file = event.file;
    if (event.kind === 'opened') log.info({ event: 'log_file_opened', log_file: file, offset: event.offset, from: event.from }, `reading cloudflared's log ${file} from byte ${String(event.offset)} (${event.from})`);
    if (event.kind === 'rotated') log.info({ event: 'log_file_rotated', log_file: file }, `cloudflared's log ${file} was rotated: read the old file to its end, now reading the new one`);
    if (event.kind === 'truncated') log.warn({ event: 'log_file_truncated', log_file: file, size: event.size, offset: event.offset }, `cloudflared's log ${file} was truncated (${String(event.size)} bytes, was read to ${String(event.offset)}); reading it again from its start`);
    if (event.kind === 'missing') log.warn({ event: 'log_file_missing', log_file: file, err: event.error }, `cannot read cloudflared's log ${file}: ${event.error}; check cloudflared.attach.logFile and that cloudflared runs with --logfile ${file} on a volume both containers mount`);
  });
  supervisor.on('signalled', ({ pid, reason }) => {
    counted(reason);
    pointSpan('connector restart', { reason: reason.kind, pid });
    log.warn({ pid, reason: reason.kind }, `sent SIGTERM to the attached cloudflared (pid ${String(pid)}) so its orchestrator starts it again (${describeReason(reason)})`);
  });
  supervisor.on('stopped', ({ exit }) => {
    process('stopped', exit === undefined ? {} : { lastExit: exit.signal === null ? `exit ${String(exit.code)}` : `signal ${exit.signal}` });
  });
  return {
    supervisor,
    restarts,
    quicFallbackPersists: (cause) => {
      fallback = cause;
      restore?.update(cause !== undefined);
    },
  };
}
