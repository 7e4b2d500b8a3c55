// The host clock against the Cloudflare API's: TLS certificates and tokens are checked against time, so a clock
// far off makes a working tunnel fail in ways that look like credential or certificate trouble.
import { type CheckResult, pass, problem, skip } from './check.js';

const MAX_SKEW_MS = 30_000;

export async function checkClock(apiUrl: string, timeoutMs: number): Promise<CheckResult> {
  let date: string | null;
  const before = Date.now();
  try {
    const res = await fetch(apiUrl, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    date = res.headers.get('date');
  } catch (error) {
    return skip('clock', `cannot reach ${apiUrl} to compare clocks: ${error instanceof Error ? error.message : String(error)}`);
  }
  const theirs = date === null ? Number.NaN : Date.parse(date);
  if (Number.isNaN(theirs)) return skip('clock', `${apiUrl} sent no Date header to compare with`);
  // HTTP dates have whole seconds: compare with the middle of the request.
  const skew = (before + Date.now()) / 2 - theirs;
  const text = `${(Math.abs(skew) / 1000).toFixed(1)} s ${skew > 0 ? 'ahead of' : 'behind'} ${apiUrl}`;
  if (Math.abs(skew) < MAX_SKEW_MS) return pass('clock', text);
  return problem('WARN', 'clock', text, 'Synchronise the clock (chrony, systemd-timesyncd): certificates and tokens are time-checked.', { evidence: [`Date: ${date ?? ''}`] });
}
