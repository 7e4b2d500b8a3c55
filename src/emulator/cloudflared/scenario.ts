// Scenario files (CFEMU_SCENARIO): YAML or JSON `steps: [{at: "5s", fault: …}]`, validated before the
// emulated cloudflared starts, then each step applied at its time (cloudflared time, so it is scaled).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Clock } from './clock.js';
import { durationMs, ScenarioSchema, type Fault, type Step } from './faults.js';

/** Reads and validates a scenario file; errors name the file and the offending steps. */
export function loadScenario(file: string): { ok: true; steps: Step[] } | { ok: false; error: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { ok: false, error: `cannot read scenario ${file}: ${e instanceof Error ? e.message : String(e)}` };
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) as unknown;
  } catch (e) {
    return { ok: false, error: `scenario ${file} is not YAML or JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const parsed = ScenarioSchema.safeParse(doc);
  if (!parsed.success) return { ok: false, error: `invalid scenario ${file}:\n${z.prettifyError(parsed.error)}` };
  return { ok: true, steps: parsed.data.steps };
}

/**
 * Schedules every step; steps at 0 are applied at once, before the first dial. Returns a function
 * cancelling the steps not yet applied.
 */
export function scheduleSteps(steps: readonly Step[], clock: Clock, apply: (fault: Fault) => void): () => void {
  const cancels = steps.map((step) => {
    const { at, ...rest } = step;
    const fault = rest;
    const ms = durationMs(at);
    if (ms === 0) {
      apply(fault);
      return () => undefined;
    }
    return clock.after(ms, () => {
      apply(fault);
    });
  });
  return () => {
    for (const cancel of cancels) cancel();
  };
}
