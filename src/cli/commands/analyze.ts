import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { diagnoseLog, summarise } from '../../analysis/index.js';
import { DEFAULT_RUNBOOK_BASE_URL } from '../../config/index.js';
import { type LogEvent, parseLogLine } from '../../cloudflared/log/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT, type Io } from '../io.js';
import { write } from '../../base/index.js';
import { renderSummary } from '../render-summary.js';

const USAGE = `Usage: tunnelwatch analyze [--json] [FILE|-]

Reads a cloudflared log (console text or JSON, as written to stderr or --logfile; lines wrapped by journald,
docker compose or kubectl are unwrapped; formats may be mixed) and explains it: a timeline per connection,
disconnect reasons ranked, reconnect storms, protocol fallbacks, origin errors by origin, config versions.

  --json    print one JSON object: {"events": [...], "summary": {...}, "diagnosis": [...]}
  FILE      the log file; "-" or nothing reads standard input
`;

async function readEvents(input: Readable): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) events.push(parseLogLine(line));
  return events;
}

export async function analyzeCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs(args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length > 1) {
    await write(io.stderr, `tunnelwatch analyze: expected at most one FILE, got ${String(parsed.positionals.length)}\n\n${USAGE}`);
    return EXIT.usage;
  }
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
  const diagnosis = diagnoseLog(events, DEFAULT_RUNBOOK_BASE_URL);
  if (parsed.values.json === true) {
    await write(io.stdout, `${JSON.stringify({ events, summary, diagnosis })}\n`);
  } else {
    await write(io.stdout, renderSummary(file === '-' ? 'stdin' : file, summary, diagnosis));
  }
  return EXIT.ok;
}
