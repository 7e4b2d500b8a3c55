import { describe, expect, it } from 'vitest';
import { parseLogLine } from '../src/cloudflared/log/index.js';
import { diagnose, LineEvidence } from '../src/diagnosis/index.js';
import { describeChanges } from '../src/sidecar/health-log.js';
import type { HealthSnapshot } from '../src/state/index.js';
import { proc, refused, run, T0 } from './helpers/state-observations.js';

const REFUSAL = '2026-12-06T10:00:00Z ERR Register tunnel error from server side error="Unauthorized: Invalid tunnel secret" connIndex=0 event=0 ip=127.0.0.1';

describe('the state-change record', () => {
  it('says what changed, why, and what to do', () => {
    const { snapshots } = run([proc(T0, 'running'), refused(T0 + 10, 0)]);
    const before = snapshots[0] as HealthSnapshot;
    const after = snapshots.at(-1) as HealthSnapshot;
    const lines = new LineEvidence();
    lines.observe(parseLogLine(REFUSAL), T0 + 10);
    let asked = 0;
    const diagnosis = () => { asked++; return diagnose({ snapshot: after, lines: lines.proofs(after.at), runbookBaseUrl: 'http://x/docs' }); };
    const [change] = describeChanges(before, after, diagnosis);
    expect(change?.message).toMatch(/^connector unknown -> down: .*the edge refused registration: Unauthorized: Invalid tunnel secret — cause: The edge rejects the tunnel credentials\. The token or credentials file is wrong/);
    expect(change?.fields).toMatchObject({ event: 'state_change', causes: ['credentials_rejected'] });
    expect(describeChanges(after, after, diagnosis)).toEqual([]);
    expect(asked).toBe(1);
  });
});
