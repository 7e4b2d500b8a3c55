// Each output's repeat settings: stdout follows logs.repeats, and a sink its own logs.<sink>.repeats, field by field,
// with what that leaves out taken from logs.repeats. Pure.
import type { Settings } from './schema.js';

export interface RepeatSettings {
  /** ms; 0 ships every line. */
  readonly window: number;
  readonly burst: number;
}

/** The repeat settings of `output`: 'stdout', or a sink's name ('loki', 'syslog'). */
export function repeatsOf(logs: Settings['logs'], output: string): RepeatSettings {
  const own = output === 'loki' ? logs.loki?.repeats : output === 'syslog' ? logs.syslog?.repeats : undefined;
  return { window: own?.window ?? logs.repeats.window, burst: own?.burst ?? logs.repeats.burst };
}
