import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Spool } from '../src/telemetry/sinks/spool.js';
import type { SpoolBatch } from '../src/telemetry/sinks/spool.js';

type Op =
  | { op: 'append'; n: number }
  | { op: 'flush' }
  | { op: 'peek'; n: number }
  | { op: 'commit' }
  | { op: 'crash' }
  | { op: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('append' as const), n: fc.integer({ min: 1, max: 6 }) }),
  fc.constant({ op: 'flush' as const }),
  fc.record({ op: fc.constant('peek' as const), n: fc.integer({ min: 1, max: 8 }) }),
  fc.constant({ op: 'commit' as const }),
  fc.constant({ op: 'crash' as const }),
  fc.constant({ op: 'reopen' as const }),
);

describe('Spool (property)', () => {
  it('never loses a durable record that was not counted as dropped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), fc.constantFrom(200, 600, 1e6), fc.constantFrom(60, 150, 1 << 20), async (ops, maxBytes, segmentBytes) => {
        const dir = await mkdtemp(join(tmpdir(), 'spool-prop-'));
        const abandoned: Spool<number>[] = [];
        const o = { dir, maxBytes, segmentBytes };
        try {
          let s = await Spool.open<number>(o);
          let next = 0;
          let buffered: number[] = [];
          const durable = new Set<number>();
          const delivered = new Set<number>();
          let dropped = 0;
          let batch: SpoolBatch<number> | undefined;
          const persist = (): void => { for (const id of buffered) durable.add(id); buffered = []; };
          for (const step of ops) {
            if (step.op === 'append') {
              const recs = Array.from({ length: step.n }, () => next++);
              s.append(recs);
              buffered.push(...recs);
            } else if (step.op === 'flush') {
              await s.flush();
              persist();
            } else if (step.op === 'peek') {
              batch = await s.peek(step.n, 1e6);
              persist();
            } else if (step.op === 'commit') {
              if (batch) {
                await s.commit(batch);
                for (const id of batch.records) delivered.add(id);
              }
            } else {
              if (step.op === 'crash') {
                abandoned.push(s); // its unflushed buffer dies with it
                buffered = [];
              } else {
                await s.close();
                persist();
              }
              dropped += (await s.stats()).dropped;
              batch = undefined;
              s = await Spool.open<number>(o);
            }
          }
          await s.flush();
          persist();
          const rest: number[] = [];
          for (let b = await s.peek(5, 1e6); b.records.length > 0; b = await s.peek(5, 1e6)) {
            rest.push(...b.records);
            await s.commit(b);
          }
          await s.close();
          dropped += (await s.stats()).dropped;
          expect(rest).toEqual([...rest].sort((a, b) => a - b));
          for (const id of rest) delivered.add(id);
          const missing = [...durable].filter((id) => !delivered.has(id));
          expect(missing.length).toBeLessThanOrEqual(dropped);
          if (maxBytes === 1e6) expect(dropped).toBe(0);
        } finally {
          for (const a of abandoned) await a.close().catch(() => undefined);
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 150 },
    );
  });
});
