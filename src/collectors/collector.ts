// The one interface every collector implements (node_exporter style: one source per file behind it). A
// collector turns one look at its source into Observations; the runner owns scheduling, deadlines, spans and
// stats, so a collector only has to honour the abort signal.
import type { Observation } from '../state/index.js';

export interface CollectContext {
  /** Aborted at the run's deadline and on stop(); pass it to every request. */
  readonly signal: AbortSignal;
  /** Wall-clock milliseconds, for stamping observations. */
  readonly now: () => number;
}

export interface Collector {
  /** Stable and short (`connector`, `edge`): used in span names, stats and metric labels. */
  readonly name: string;
  /**
   * Milliseconds between the end of one run and the start of the next, and the deadline of each run. Read
   * after every run, so a collector may stretch it (the edge collector does when its API budget is short).
   */
  readonly intervalMs: number;
  /**
   * One look at the source. A source that cannot be read is data (an observation with `ok: false`), not a
   * throw; a throw means the collector itself broke and counts as a failed run.
   */
  collect(ctx: CollectContext): Promise<readonly Observation[]>;
}

/** An error and its causes as one line (`fetch failed: connect ECONNREFUSED 127.0.0.1:9`), for `error` fields. */
export function errorChain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    const text = errorText(current);
    // An abort or timeout under a message that already says so adds only noise.
    const redundantAbort = parts.length > 0 && current instanceof DOMException && (current.name === 'AbortError' || current.name === 'TimeoutError');
    if (text !== '' && !redundantAbort && !parts.some((p) => p.includes(text))) parts.push(text);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Happy-eyeballs connects fail with an AggregateError whose own message is empty.
  if (error instanceof AggregateError && error.message === '') return [...new Set(error.errors.map(errorText))].join(', ');
  const code = (error as { code?: unknown }).code;
  return error.message !== '' ? error.message : typeof code === 'string' ? code : error.name;
}
