// Runs the alert evaluation every evaluationInterval. node-cron (with its seconds field) when the interval is
// one a cron step can express: whole seconds or minutes that divide the minute or the hour, so runs sit on
// wall-clock boundaries (every replica evaluates at :00, :15, ...) and stay regular. Any other interval
// (sub-second, as compressed end-to-end tests use, or e.g. 7 s, which `*/7` would run at :56 and again at
// :00) uses setInterval instead. Either way a run never overlaps the previous one.
import cron from 'node-cron';
import type { LogFn } from './engine.js';

export interface Schedule {
  /** The timer kind chosen, for logs and tests. */
  readonly kind: 'cron' | 'interval';
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/** The 6-field cron expression running every `intervalMs`, or undefined when a cron step cannot express it. */
export function cronExpression(intervalMs: number): string | undefined {
  if (intervalMs < 1000 || intervalMs % 1000 !== 0) return undefined;
  const s = intervalMs / 1000;
  if (s < 60) return 60 % s === 0 ? `*/${s} * * * * *` : undefined;
  if (s % 60 !== 0) return undefined;
  const m = s / 60;
  if (m < 60) return 60 % m === 0 ? `0 */${m} * * * *` : undefined;
  return m === 60 ? '0 0 * * * *' : undefined;
}

/** Calls `run` every `intervalMs`, skipping a run while the previous one is still going; errors go to `log`. */
export function every(intervalMs: number, run: () => Promise<void> | void, log: LogFn): Schedule {
  let current: Promise<void> | undefined;
  const guarded = async (): Promise<void> => {
    try {
      await run();
    } catch (error) {
      log('error', { error: error instanceof Error ? error.message : String(error) }, `alert evaluation failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const once = (): Promise<void> => {
    current = guarded().finally(() => {
      current = undefined;
    });
    return current;
  };

  const expression = cronExpression(intervalMs);
  if (expression !== undefined) {
    const task = cron.schedule(expression, once, {
      name: 'tunnelwatch-alerts',
      noOverlap: true,
      timezone: 'UTC',
      logger: {
        info: (m) => { log('debug', {}, `node-cron: ${m}`); },
        warn: (m) => { log('debug', {}, `node-cron: ${m}`); },
        error: (m) => { log('warn', {}, `node-cron: ${String(m)}`); },
        debug: (m) => { log('debug', {}, `node-cron: ${String(m)}`); },
      },
    });
    return {
      kind: 'cron',
      async stop() {
        await task.destroy();
        await current;
      },
    };
  }

  const timer = setInterval(() => {
    if (current === undefined) void once();
  }, intervalMs);
  return {
    kind: 'interval',
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
