// Where a tunnelwatch that overstayed its stop was stuck. Each run starts with Node's diagnostic report on
// SIGUSR2, which Node writes even while JavaScript is busy; a stop that overstays asks for one before SIGKILL,
// so the failure names the stack and what the event loop still waited on, not only "ignored SIGTERM".
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Report {
  readonly javascriptStack?: { readonly message?: string; readonly stack?: readonly string[] };
  readonly libuv?: readonly { readonly type?: string; readonly is_active?: boolean; readonly localEndpoint?: unknown; readonly remoteEndpoint?: unknown }[];
}

export class StuckReport {
  readonly dir = mkdtempSync(join(tmpdir(), 'tunnelwatch-report-'));

  /** The node flags that make SIGUSR2 write a report into `dir`. */
  get nodeArgs(): string[] {
    return ['--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${this.dir}`, '--report-compact'];
  }

  /** Asks `pid` for a report and summarises it (waits up to `ms`); a note saying none came otherwise. */
  async take(pid: number, ms = 3000): Promise<string> {
    try {
      process.kill(pid, 'SIGUSR2');
    } catch (error) {
      return `no report: ${(error as Error).message}`;
    }
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const file = readdirSync(this.dir).find((f) => f.endsWith('.json'));
      if (file !== undefined) {
        try {
          return summarise(JSON.parse(readFileSync(join(this.dir, file), 'utf8')) as Report);
        } catch {
          // Still being written.
        }
      }
      await sleep(50);
    }
    return `no diagnostic report within ${String(ms)} ms: its event loop did not run (JavaScript busy, or a blocking call)`;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function summarise(report: Report): string {
  const stack = report.javascriptStack?.stack ?? [];
  const handles = (report.libuv ?? []).filter((h) => h.is_active === true);
  const counts = new Map<string, number>();
  for (const h of handles) counts.set(h.type ?? '?', (counts.get(h.type ?? '?') ?? 0) + 1);
  const sockets = handles
    .filter((h) => h.remoteEndpoint !== undefined)
    .map((h) => `${h.type ?? '?'} ${JSON.stringify(h.localEndpoint)} -> ${JSON.stringify(h.remoteEndpoint)}`);
  return [
    `JavaScript at the report: ${report.javascriptStack?.message ?? '?'}`,
    ...stack.slice(0, 12).map((l) => `  ${l}`),
    `active libuv handles: ${[...counts].map(([t, n]) => `${t} ${String(n)}`).join(', ') || 'none'}`,
    ...sockets.slice(0, 20).map((s) => `  ${s}`),
  ].join('\n');
}
