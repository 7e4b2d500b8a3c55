// The diagnosis over a whole log file: every cause cloudflared's lines prove anywhere in it, with the lines,
// including causes that were resolved later (a post-mortem wants them all).
import type { LogEvent } from '../cloudflared/log/index.js';
import { diagnose, type Diagnosis, LineEvidence } from '../diagnosis/index.js';

export function diagnoseLog(events: readonly LogEvent[], runbookBaseUrl: string): readonly Diagnosis[] {
  const lines = new LineEvidence({ forget: false });
  for (const event of events) lines.observe(event, event.timestamp);
  return diagnose({ lines: lines.proofs(0), runbookBaseUrl });
}
