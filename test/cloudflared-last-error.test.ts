import { describe, expect, it } from 'vitest';
import { errorText } from '../src/cloudflared/log/last-error.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';

const BIND = 'failed to bind to address (127.0.0.1:20241): listen tcp 127.0.0.1:20241: bind: address already in use';

describe('errorText: the line that can say why cloudflared exited', () => {
  it.each([
    ['JSON error line', `{"level":"error","error":"${BIND}","time":"2026-12-06T12:45:57Z","message":"Error opening metrics server listener"}`, `Error opening metrics server listener: ${BIND}`],
    ['console error line', `2026-12-06T12:45:57Z ERR Error opening metrics server listener error="${BIND}"`, `Error opening metrics server listener: ${BIND}`],
    ['the bare exit message on stderr', `Error opening metrics server listener: ${BIND}`, `Error opening metrics server listener: ${BIND}`],
    ['a fatal line', '2026-12-06T12:45:57Z FTL Failed to create new tunnel error="tunnel not found"', 'Failed to create new tunnel: tunnel not found'],
    ['the panic line of a Go panic', 'panic: runtime error: invalid memory address or nil pointer dereference', 'panic: runtime error: invalid memory address or nil pointer dereference'],
  ])('%s', (_, line, expected) => {
    expect(errorText(parseLogLine(line))).toBe(expected);
  });

  it.each([
    ['an info line', '2026-12-06T12:45:57Z INF Starting tunnel tunnelID=3a5c7e9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d'],
    ['a warning', '2026-12-06T12:45:57Z WRN Unable to lookup protocol percentage.'],
    ['a panic trace frame', '\t/usr/lib/go-1.27/src/runtime/proc.go:283 +0x29d'],
    ['a goroutine header', 'goroutine 1 [running]:'],
    ['a function frame', 'main.main()'],
    ['a blank line', ''],
  ])('%s is no cause', (_, line) => {
    expect(errorText(parseLogLine(line))).toBeUndefined();
  });
});
