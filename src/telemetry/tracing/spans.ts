// The one way tunnelwatch code opens a span. It uses only @opentelemetry/api, so without a configured SDK
// (tracing.ts) every span is a no-op and costs next to nothing.
import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { VERSION } from '../../base/index.js';

// The scope version tells a backend which tunnelwatch release emitted a span.
export const tracer = trace.getTracer('tunnelwatch', VERSION);

/**
 * Runs `fn` inside a new active span (children opened in `fn`, across awaits, nest under it). The span ends
 * when `fn` settles; a throw marks it as an error and is rethrown. `root` starts a new trace whatever span is
 * active: work scheduled from inside another span's callback must not hang under that span for ever.
 */
export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, options: { readonly root?: boolean } = {}): Promise<T> {
  return tracer.startActiveSpan(name, { attributes, ...(options.root === true ? { root: true } : {}) }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span for something that already happened (a restart, a state transition): started and ended at once. */
export function pointSpan(name: string, attributes: Attributes): void {
  tracer.startSpan(name, { attributes }).end();
}
