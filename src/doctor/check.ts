// One doctor check's answer: a verdict, what was seen, and the fix. The checks in this folder each answer the
// handbook's questions for one area (config and credentials, the edge, the origins, the running connector).
import type { CauseId } from '../diagnosis/index.js';

export const VERDICTS = ['PASS', 'WARN', 'FAIL', 'SKIP'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface CheckResult {
  /** Which check, e.g. `config`, `token`, `edge udp 7844`, `origin app.example.com`. */
  readonly name: string;
  readonly verdict: Verdict;
  /** One sentence: what was found. */
  readonly summary: string;
  /** What proves it: lines, addresses, answers. */
  readonly evidence?: readonly string[];
  /** What to do; set on WARN and FAIL. */
  readonly fix?: string;
  /** The diagnosis cause a failure is, when it is one (docs/runbooks/causes.md). */
  readonly cause?: CauseId;
}

export const pass = (name: string, summary: string, evidence?: readonly string[]): CheckResult => ({ name, verdict: 'PASS', summary, ...(evidence ? { evidence } : {}) });
export const skip = (name: string, summary: string): CheckResult => ({ name, verdict: 'SKIP', summary });

export function problem(verdict: 'WARN' | 'FAIL', name: string, summary: string, fix: string, extra: { evidence?: readonly string[]; cause?: CauseId } = {}): CheckResult {
  return { name, verdict, summary, fix, ...extra };
}
