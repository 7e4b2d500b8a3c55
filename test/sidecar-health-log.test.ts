import { describe, expect, it } from 'vitest';
import { parseLogLine } from '../src/cloudflared/log/index.js';
import { diagnose, type Diagnosis, LineEvidence } from '../src/diagnosis/index.js';
import { loadSettings } from '../src/config/load.js';
import { describeChanges } from '../src/sidecar/health-log.js';
import { HealthWatch } from '../src/sidecar/health-watch.js';
import { createLogger, type LogRecord } from '../src/telemetry/logs/index.js';
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
    // A dead origin does not explain the connector's state: it is not named as the state change's cause.
    const origin = { ...(diagnosis()[0] as Diagnosis), cause: 'origin_refused' as const, title: 'The origin refuses connections' };
    expect(describeChanges(before, after, () => [origin])[0]?.message).not.toContain('cause:');
  });
});

describe('a transition lists the reasons of the state it enters', () => {
  const snapshot = (state: HealthSnapshot['state'], registered: number, reasons: HealthSnapshot['reasons']): HealthSnapshot => {
    const { snapshots } = run([proc(T0, 'running')]);
    return { ...(snapshots.at(-1) as HealthSnapshot), state, registeredConnections: registered, expectedConnections: 4, reasons };
  };
  const originDown = { code: 'origins_down' as const, message: '1 of 3 origins down: api', since: T0 };
  const lagging = { code: 'ready_disagrees' as const, message: '/ready reports 3 connections, the log 4', since: T0 };

  it('degraded -> healthy: the count, not the dead origin or the lagging /ready carried along', () => {
    const before = snapshot('degraded', 3, [{ code: 'connections_missing', message: '3 of 4 HA connections registered (missing: 2)', since: T0 }, originDown]);
    const after = snapshot('healthy', 4, [lagging, originDown]);
    const [change] = describeChanges(before, after, () => []);
    expect(change?.message).toBe('connector degraded -> healthy: 4 of 4 HA connections registered');
    expect(change?.fields).toMatchObject({ reasons: [] });
  });

  it('healthy -> degraded: the missing slots, not the origin', () => {
    const before = snapshot('healthy', 4, [originDown]);
    const after = snapshot('degraded', 3, [{ code: 'connections_missing', message: '3 of 4 HA connections registered (missing: 2)', since: T0 }, originDown]);
    const [change] = describeChanges(before, after, () => []);
    expect(change?.message).toBe('connector healthy -> degraded: 3 of 4 HA connections registered (missing: 2)');
    expect(change?.fields).toMatchObject({ reasons: ['connections_missing'] });
  });

  it('-> unknown: an unreachable connector is what the state is about', () => {
    const after = snapshot('unknown', 0, [{ code: 'connector_unreachable', message: 'the attached connector has shown no log line and no successful /ready yet', since: T0 }]);
    const [change] = describeChanges(snapshot('healthy', 4, []), after, () => []);
    expect(change?.fields).toMatchObject({ reasons: ['connector_unreachable'] });
  });
});

describe('HealthWatch: causes announced', () => {
  it('logs a cause once when a line proves it, with the fix, and once when a registration clears it', async () => {
    const loaded = loadSettings({ env: { TUNNELWATCH_LOGS_SPOOL_DIR: '/tmp/unused' } });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    const records: LogRecord[] = [];
    const redact = (text: string): string => text.replace('Invalid tunnel secret', '<redacted>');
    const w = await HealthWatch.create({ settings: loaded.settings, logger: createLogger({ write: (r) => records.push(r) }, { level: 'info', labels: {} }), metricsAddress: () => undefined, now: () => T0, redact });
    const causeRecords = () => records.filter((r) => r.event === 'cause_found' || r.event === 'cause_gone').map((r) => [r.event, r.cause]);
    w.event(parseLogLine(REFUSAL), T0);
    w.event(parseLogLine(REFUSAL), T0 + 1);
    expect(causeRecords()).toEqual([['cause_found', 'credentials_rejected']]);
    // Evidence leaves redacted (here a stand-in for the configured secrets).
    expect(records.find((r) => r.event === 'cause_found')?.msg).toMatch(/^cause found: The edge rejects the tunnel credentials \(Register tunnel error from server side: Unauthorized: <redacted>\)\. The token/);
    expect(w.diagnosis[0]?.evidence[0]?.text).toBe('Register tunnel error from server side: Unauthorized: <redacted>');
    w.event(parseLogLine('2026-12-06T10:00:05Z INF Registered tunnel connection connIndex=0 connection=5e1c0f7e-0000-4000-8000-000000000000 event=0 ip=127.0.0.1 location=lax01 protocol=quic'), T0 + 5);
    expect(causeRecords()).toEqual([['cause_found', 'credentials_rejected'], ['cause_gone', 'credentials_rejected']]);
  });
});

