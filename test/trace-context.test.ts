import { context, INVALID_SPAN_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { beforeEach, describe, expect, it } from 'vitest';
import { inSpan, pointSpan } from '../src/telemetry/tracing/spans.js';
import { traceFields } from '../src/telemetry/tracing/trace-context.js';
import { recordSpans } from './helpers/recorded-spans.js';

const exporter = recordSpans();
beforeEach(() => { exporter.reset(); });

const turn = (): Promise<void> => new Promise((resolve) => { setImmediate(resolve); });
const finished = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);

describe('traceFields', () => {
  it('is empty outside any span', () => {
    expect(traceFields()).toEqual({});
  });

  it('is empty for an invalid span context, as with tracing off', () => {
    const noop = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    expect(context.with(trace.setSpan(context.active(), noop), traceFields)).toEqual({});
  });

  it('gives the active span ids across awaits, switching to a child span and back', async () => {
    const seen: Record<string, unknown> = {};
    await inSpan('parent', {}, async (parent) => {
      await turn();
      seen.parent = traceFields();
      await inSpan('child', {}, async (child) => {
        await turn();
        seen.child = traceFields();
        seen.childIds = { trace_id: child.spanContext().traceId, span_id: child.spanContext().spanId };
      });
      seen.after = traceFields();
      seen.parentIds = { trace_id: parent.spanContext().traceId, span_id: parent.spanContext().spanId };
    });
    expect(seen.parent).toEqual(seen.parentIds);
    expect(seen.after).toEqual(seen.parentIds);
    expect(seen.child).toEqual(seen.childIds);
    expect(seen.child).toMatchObject({ trace_id: (seen.parentIds as { trace_id: string }).trace_id });
    expect(traceFields()).toEqual({});
  });

  it('keeps interleaved spans apart', async () => {
    const probe = (origin: string) => inSpan('probe', { origin }, async (span) => {
      await turn();
      const fields = traceFields();
      await turn();
      return { fields, own: span.spanContext().spanId };
    });
    const results = await inSpan('collect', {}, () => Promise.all([probe('a'), probe('b'), probe('c')]));
    for (const r of results) expect(r.fields.span_id).toBe(r.own);
    const [collect] = finished('collect');
    for (const p of finished('probe')) expect(p.parentSpanContext?.spanId).toBe(collect?.spanContext().spanId);
  });
});

describe('inSpan and pointSpan', () => {
  it('returns the result, ends the span and leaves its status unset', async () => {
    await expect(inSpan('ok', { collector: 'origins' }, () => Promise.resolve(42))).resolves.toBe(42);
    const [span] = finished('ok');
    expect(span?.ended).toBe(true);
    expect(span?.attributes).toEqual({ collector: 'origins' });
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a throw as an error with the exception recorded, and rethrows the same error', async () => {
    const boom = new Error('origin refused');
    await expect(inSpan('fails', {}, async () => { await turn(); throw boom; })).rejects.toBe(boom);
    const [span] = finished('fails');
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'origin refused' });
    expect(span?.events.map((e) => [e.name, e.attributes?.['exception.message']])).toEqual([['exception', 'origin refused']]);
    expect(span?.ended).toBe(true);
  });

  it('marks a thrown non-Error too', async () => {
    const plain: unknown = 'plain';
    await expect(inSpan('fails', {}, async () => { await turn(); throw plain; })).rejects.toBe('plain');
    expect(finished('fails')[0]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'plain' });
  });

  it('records a point span with its attributes, already ended', () => {
    pointSpan('state transition', { from: 'healthy', to: 'degraded' });
    const [span] = finished('state transition');
    expect(span?.attributes).toEqual({ from: 'healthy', to: 'degraded' });
    expect(span?.parentSpanContext).toBeUndefined();
  });
});
