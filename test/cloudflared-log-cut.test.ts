import { describe, expect, it } from 'vitest';
import { salvageCutJson } from '../src/cloudflared/log/cut.js';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import { LineSplitter } from '../src/supervisor/line-splitter.js';

// cloudflared's JSON writer sorts keys: a 5 MB error puts level and message far after the cut.
const huge = `{"connIndex":2,"error":"Unable to reach the origin service: ${'x\\"y'.repeat(1_300_000)}","event":1,"level":"error","message":"Request failed","time":"2026-12-06T13:19:28Z"}`;

describe('a JSON line cut at maxLineBytes', () => {
  it('is read from its head and tail: level, message, time, slot and the start of the error', () => {
    const s = new LineSplitter(1 << 20);
    const [cut] = s.push(Buffer.from(`${huge}\n`));
    expect(cut?.truncated).toBe(true);
    expect(parseLogLine(cut?.line ?? '').format).toBe('plain');
    const event = parseLogLine(salvageCutJson(cut?.line ?? '', cut?.tail ?? '') ?? '');
    expect(event).toMatchObject({ format: 'json', level: 'error', message: 'Request failed', connIndex: 2, time: '2026-12-06T13:19:28Z' });
    expect(event.error).toMatch(/^Unable to reach the origin service: x"yx"y.*… \(cut\)$/);
    expect(event.error?.length).toBeLessThan(600);
  });

  it('is left alone when it is not JSON or carries neither level nor message', () => {
    expect(salvageCutJson('2026-12-06T13:19:28Z ERR huge', 'tail')).toBeUndefined();
    expect(salvageCutJson('{"error":"xxxx', 'xxxx"}')).toBeUndefined();
  });
});
