import { describe, expect, it } from 'vitest';
import { JsonMender, splitPieces } from '../src/cloudflared/log/mend.js';

/** How cloudflared's jsoniter encoder writes one event: `{"k":v`, `,"k":v` per further key (sorted), then `}\n`. */
function writes(event: Record<string, unknown>): string[] {
  const keys = Object.keys(event).sort();
  return [...keys.map((k, i) => `${i === 0 ? '{' : ','}${JSON.stringify(k)}:${JSON.stringify(event[k])}`), '}\n'];
}

/** Splits a written stream into lines and runs them through a mender as supervision does. */
function mendStream(stream: string): { events: Record<string, unknown>[]; orphans: string[] } {
  const mender = new JsonMender();
  const events: Record<string, unknown>[] = [];
  const orphans: string[] = [];
  const lines = stream.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    let whole: unknown;
    try {
      whole = JSON.parse(line);
    } catch {
      whole = undefined;
    }
    const mended = whole !== undefined && !mender.pending ? undefined : mender.mend(line);
    if (mended === undefined) {
      if (whole === undefined) orphans.push(line);
      else events.push(whole as Record<string, unknown>);
      continue;
    }
    events.push(...mended.events.map((t) => JSON.parse(t) as Record<string, unknown>));
    orphans.push(...mended.orphans);
  }
  events.push(...mender.flush().map((t) => JSON.parse(t) as Record<string, unknown>));
  return { events, orphans };
}

const registered = (connIndex: number): Record<string, unknown> => ({
  connIndex,
  connection: `0b63bd7c-5add-40af-a75a-4dfeea1316a${String(connIndex)}`,
  event: 0,
  ip: `127.0.0.${String(connIndex + 1)}`,
  level: 'info',
  location: 'lax01',
  message: 'Registered tunnel connection',
  protocol: 'http2',
  time: '2026-12-06T15:41:57Z',
});

const terminated = (connIndex: number, error: string): Record<string, unknown> => ({
  connIndex,
  error,
  level: 'error',
  message: 'Connection terminated',
  time: '2026-12-06T15:41:39Z',
});

const byConn = (events: Record<string, unknown>[]): Record<string, unknown>[] => [...events].sort((a, b) => Number(a.connIndex) - Number(b.connIndex));

/** A small seeded generator: the interleavings are random but every run sees the same ones. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('splitPieces', () => {
  it('cuts a line into the writes it was made of, nested values and escapes included', () => {
    expect(splitPieces('{"a":1{"b":"x\\"}{","c":{"d":[1,{"e":"}"}]}}')).toEqual([
      { kind: 'open', key: 'a', text: '"a":1' },
      { kind: 'open', key: 'b', text: '"b":"x\\"}{"' },
      { kind: 'more', key: 'c', text: '"c":{"d":[1,{"e":"}"}]}' },
      { kind: 'end' },
    ]);
    expect(splitPieces('}')).toEqual([{ kind: 'end' }]);
  });

  it('refuses anything that is not made of encoder writes', () => {
    for (const line of ['2026-12-06T15:41:57Z INF Registered', 'panic: runtime error', '{"a":', '{"a":1 }', '{a:1}', ',"a":tru', '']) {
      expect(splitPieces(line) ?? []).toEqual([]);
    }
  });
});

describe('JsonMender', () => {
  it('puts back the tear seen in CI: one event without its end, another whole inside it, then a lone }', () => {
    const a = writes(registered(2));
    const b = writes(registered(1));
    const stream = [...a.slice(0, -1), ...b, a.at(-1)].join('');
    expect(stream.split('\n')[1]).toBe('}');
    const { events, orphans } = mendStream(stream);
    expect(orphans).toEqual([]);
    expect(byConn(events)).toEqual([registered(1), registered(2)]);
  });

  it('keeps every event of three writers opening at once (the shutdown tear `{"connIndex":3{"connIndex":0{"connIndex":2,...`)', () => {
    const [a, b, c] = [terminated(3, 'connection with edge closed'), terminated(0, 'context canceled'), terminated(2, 'context canceled')].map(writes);
    const order = [a, b, c].flatMap((w) => [w?.[0]]);
    const rest = [a, b, c].flatMap((w) => (w ?? []).slice(1));
    const { events, orphans } = mendStream([...order, ...rest].join(''));
    expect(orphans).toEqual([]);
    expect(events.map((e) => e.connIndex).sort()).toEqual([0, 2, 3]);
    for (const e of events) expect(e).toMatchObject({ level: 'error', message: 'Connection terminated' });
  });

  it('reassembles exactly whenever one writer finishes whole events between another one’s writes (random, seeded)', () => {
    const next = prng(7);
    for (let round = 0; round < 300; round++) {
      const slow = writes(round % 2 === 0 ? registered(0) : terminated(0, 'x'));
      const cut = 1 + Math.floor(next() * (slow.length - 1));
      const inserted = Array.from({ length: 1 + Math.floor(next() * 3) }, (_, i) => registered(i + 1));
      const stream = [...slow.slice(0, cut), ...inserted.flatMap(writes), ...slow.slice(cut)].join('');
      const { events, orphans } = mendStream(stream);
      expect(orphans).toEqual([]);
      expect(byConn(events)).toEqual(byConn([JSON.parse(slow.join('')) as Record<string, unknown>, ...inserted]));
    }
  });

  it('loses no event and no piece under any interleaving of two writers, though pieces may change hands (random, seeded)', () => {
    const next = prng(11);
    for (let round = 0; round < 300; round++) {
      const queues = [writes(registered(0)), writes(terminated(1, 'dial tcp: i/o timeout'))];
      const written: string[] = [];
      while (queues.some((q) => q.length > 0)) {
        const q = queues.filter((x) => x.length > 0)[Math.floor(next() * queues.filter((x) => x.length > 0).length)];
        written.push(q?.shift() ?? '');
      }
      const { events, orphans } = mendStream(written.join(''));
      expect(events).toHaveLength(2);
      expect(events.map((e) => e.connIndex).sort()).toEqual([0, 1]);
      const orphanKeys = orphans.filter((o) => o !== '}').map((o) => Object.keys(JSON.parse(`{${o.slice(1)}}`) as object)[0]);
      expect([...events.flatMap((e) => Object.keys(e)), ...orphanKeys].sort()).toEqual([...Object.keys(registered(0)), ...Object.keys(terminated(1, ''))].sort());
    }
  });

  it('leaves lines that are no pieces to the caller, and closes what is left open when the stream ends', () => {
    const mender = new JsonMender();
    expect(mender.mend('2026-12-06T15:41:57Z INF Registered tunnel connection')).toBeUndefined();
    expect(mender.mend('{"connIndex":0,"level":"info"{"connIndex":1,"level":"info","message":"b","time":"t"}')).toEqual({
      events: ['{"connIndex":1,"level":"info","message":"b","time":"t"}'],
      orphans: [],
    });
    expect(mender.pending).toBe(true);
    expect(mender.flush()).toEqual(['{"connIndex":0,"level":"info"}']);
    expect(mender.pending).toBe(false);
  });

  it('keeps a piece no open event can take as text, and closes an event left open for too long', () => {
    const mender = new JsonMender();
    expect(mender.mend(',"a":1}')).toEqual({ events: [], orphans: [',"a":1', '}'] });
    mender.mend('{"connIndex":0,"level":"info"{"level":"info","message":"b","time":"t"}');
    let closed: string[] = [];
    for (let i = 0; i < 70 && closed.length === 0; i++) closed = mender.mend(`{"level":"info","message":"${String(i)}","time":"t"}`)?.events.filter((e) => e.includes('connIndex')) ?? [];
    expect(closed).toEqual(['{"connIndex":0,"level":"info"}']);
  });
});
