// Ties log records to traces: the own logger's `mixin: traceFields` adds the active span's ids to every record, so a log
// line found in Loki leads to its trace. Uses only @opentelemetry/api: with tracing off there is no valid span
// and records stay unchanged.
import { isSpanContextValid, trace } from '@opentelemetry/api';

export interface TraceFields {
  trace_id?: string;
  span_id?: string;
}

/** The active span's trace and span ids (lower-case hex, as OTLP backends show them), or nothing. */
export function traceFields(): TraceFields {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext === undefined || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
