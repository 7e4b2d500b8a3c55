import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { diagnoseLog, summarise } from '../../analysis/index.js';
import { type LogEvent, parseLogLine } from '../../cloudflared/log/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT, type Io } from '../io.js';
import { packageRoot, write } from '../../base/index.js';
import { renderSummary } from '../render-summary.js';

async function readEvents(input: Readable): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) events.push(parseLogLine(line));
  return events;
}

export async function analyzeCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs('analyze', args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, io, { max: 1, hint: 'analyze reads one FILE (or stdin)' });
  if (typeof parsed === 'number') return parsed;
  const file = parsed.positionals[0] ?? '-';
  const input = file === '-' ? io.stdin : createReadStream(file);
  let events: LogEvent[];
  try {
    events = await readEvents(input);
  } catch (error) {
    await write(io.stderr, `tunnelwatch analyze: cannot read ${file}: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  const summary = summarise(events);
  // No server runs here: the runbooks are the ones installed with tunnelwatch.
  const diagnosis = diagnoseLog(events, join(packageRoot(), 'docs', 'runbooks'));
  if (parsed.values.json === true) {
    await write(io.stdout, `${JSON.stringify({ events, summary, diagnosis })}\n`);
  } else {
    await write(io.stdout, renderSummary(file === '-' ? 'stdin' : file, summary, diagnosis));
  }
  return EXIT.ok;
}
