import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The real promtool (Debian package `prometheus`) checks alerts/tunnelwatch.rules.yaml and runs its unit tests:
// every alert fires after exactly its `for`, not before, resolves, and ignores a single flap. A missing promtool
// fails the suite; it is never skipped.
const PROMTOOL = '/usr/bin/promtool';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function promtool(args: readonly string[]): { status: number | null; output: string } {
  try {
    accessSync(PROMTOOL, constants.X_OK);
  } catch {
    throw new Error(`${PROMTOOL} not found: install the Debian package prometheus (apt-get install prometheus) to run this test`);
  }
  const run = spawnSync(PROMTOOL, args, { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  if (run.error) throw run.error;
  return { status: run.status, output: run.stdout + run.stderr };
}

describe('promtool on alerts/', () => {
  it('check rules accepts the rule file', () => {
    const { status, output } = promtool(['check', 'rules', 'alerts/tunnelwatch.rules.yaml']);
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  it('check rules accepts what `tunnelwatch rules` prints with other grouping labels and no Watchdog', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-rules-'));
    try {
      const file = join(dir, 'custom.rules.yaml');
      const printed = spawnSync(process.execPath, [join(ROOT, 'bin', 'tunnelwatch'), 'rules', '--group-labels', 'team,cluster', '--no-watchdog', '--runbook-base-url', 'https://wiki.example.com/tw'], { encoding: 'utf8', timeout: 30_000 });
      expect(printed.status, printed.stderr).toBe(0);
      writeFileSync(file, printed.stdout);
      const { status, output } = promtool(['check', 'rules', file]);
      expect(output).toMatch(/SUCCESS: \d+ rules found/);
      expect(status, output).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('test rules passes every unit test', () => {
    const { status, output } = promtool(['test', 'rules', 'alerts/tunnelwatch.rules.test.yaml']);
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });
});
