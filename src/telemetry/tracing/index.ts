// The public face of src/telemetry/tracing/: what the rest of tunnelwatch may use from it.
export { inSpan, pointSpan } from './spans.js';
export { traceFields } from './trace-context.js';
export { startTracing, type Tracing } from './tracing.js';
