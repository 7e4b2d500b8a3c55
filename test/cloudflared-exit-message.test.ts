import { describe, expect, it } from 'vitest';
import { parseLogLine } from '../src/cloudflared/log/index.js';
import { connectorRecord } from '../src/telemetry/logs/index.js';

// The bare lines cloudflared 2026.8.2 prints as it exits (cmd/cloudflared/tunnel/subcommands.go, metrics listener).
const EXITS = [
  '"cloudflared tunnel run" requires the ID or name of the tunnel to run as the last command line argument or in the configuration file.',
  'Error opening metrics server listener: failed to bind to address (127.0.0.1:20241): listen tcp 127.0.0.1:20241: bind: address already in use',
  'Provided Tunnel token is not valid.',
  'Failed to read token file: open /run/secrets/token: no such file or directory',
  'Incorrect Usage: flag provided but not defined: -metrics',
  "Tunnel credentials file '/etc/cloudflared/x.json' doesn't exist or is not a file",
];

describe('cloudflared exit messages', () => {
  it.each(EXITS)('%s: a fatal event, and a record at pino fatal (60), not info', (line) => {
    const event = parseLogLine(line);
    expect(event).toMatchObject({ type: 'fatal', level: 'fatal', format: 'plain', message: line });
    const record = connectorRecord(event, line, { stream: 'stderr', time: 1 }, {});
    expect(record).toMatchObject({ level: 60, event: 'fatal' });
  });

  it.each([
    'See \'cloudflared tunnel run --help\'.',
    '2026/12/06 12:00:00 failed to sufficiently increase receive buffer size (was: 208 kiB, wanted: 7168 kiB, got: 416 kiB).',
    'goroutine 1 [running]:',
    'some text mentioning Error opening metrics server listener: later in the line',
  ])('%s: stays other, without a level', (line) => {
    const event = parseLogLine(line);
    expect(event.type).toBe('other');
    expect(event.level).toBeUndefined();
  });
});
