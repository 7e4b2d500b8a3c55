// The systemd unit: `systemd-analyze verify` and `security` when systemd-analyze exists, and always the
// properties that make tunnelwatch safe to run on a host.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../src/config/load.js';
import { parseGoDuration } from '../src/go/duration.js';
import { ROOT } from './helpers/cli.js';

const UNIT_PATH = join(ROOT, 'deploy', 'systemd', 'tunnelwatch.service');
const unitText = readFileSync(UNIT_PATH, 'utf8');
const envText = readFileSync(join(ROOT, 'deploy', 'systemd', 'tunnelwatch.env'), 'utf8');
const ANALYZE = '/usr/bin/systemd-analyze';

/** section -> key -> every value assigned, in order (systemd keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current === undefined || eq < 0) throw new Error(`tunnelwatch.service: cannot read line ${JSON.stringify(line)}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

const unit = parseUnit(unitText);
const service = unit.get('Service') ?? new Map<string, string[]>();
const value = (key: string, section: Map<string, string[]> = service) => section.get(key)?.at(-1);

/** KEY=VALUE lines of an environment file (comments and blanks skipped). */
function envFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

// The process environment as systemd builds it: EnvironmentFile= overrides Environment=; %d and %S expanded.
const unitEnv = envFile((service.get('Environment') ?? []).join('\n').replaceAll('%d', '/run/credentials/tunnelwatch.service').replaceAll('%S', '/var/lib'));
const fileEnv = envFile(envText);
const processEnv = { ...unitEnv, ...fileEnv };

function settings() {
  const result = loadSettings({ env: processEnv });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  return result.settings;
}

describe('systemd unit: properties', () => {
  it('runs tunnelwatch run as a plain (exec) service reading the env file', () => {
    expect(['exec', 'simple']).toContain(value('Type'));
    expect(value('ExecStart')).toBe('/usr/bin/tunnelwatch run');
    expect(value('EnvironmentFile')).toBe('/etc/tunnelwatch/tunnelwatch.env');
  });

  it('gets the token as a credential file, never in the environment', () => {
    expect(service.get('LoadCredential')).toContain('tunnel-token:/etc/tunnelwatch/tunnel-token');
    expect(unitEnv.TUNNELWATCH_CLOUDFLARED_TOKEN_FILE).toBe('/run/credentials/tunnelwatch.service/tunnel-token');
    expect(Object.keys(processEnv)).not.toContain('TUNNELWATCH_CLOUDFLARED_TOKEN');
    expect(Object.keys(processEnv)).not.toContain('TUNNEL_TOKEN');
    // The env file wins over Environment=, so it must not redirect the token file or the spool.
    expect(Object.keys(fileEnv)).not.toContain('TUNNELWATCH_CLOUDFLARED_TOKEN_FILE');
    expect(Object.keys(fileEnv)).not.toContain('TUNNELWATCH_LOGS_SPOOL_DIR');
  });

  it('the environment it builds is valid tunnelwatch settings, with the spool in the state directory', () => {
    const s = settings();
    expect(value('StateDirectory')).toBe('tunnelwatch');
    expect(s.logs.spoolDir).toBe('/var/lib/tunnelwatch');
    expect(s.cloudflared.tokenFile).toBe(unitEnv.TUNNELWATCH_CLOUDFLARED_TOKEN_FILE);
  });

  it('restarts on failure with a delay and a start limit', () => {
    expect(value('Restart')).toBe('on-failure');
    expect(parseGoDuration(value('RestartSec') ?? '')).toBeGreaterThanOrEqual(1000);
    const u = unit.get('Unit');
    expect(Number(value('StartLimitBurst', u))).toBeGreaterThan(0);
    expect(value('StartLimitIntervalSec', u)).toBeDefined();
  });

  it('stops with one SIGTERM to tunnelwatch only, and waits longer than the grace period', () => {
    expect(value('KillSignal')).toBe('SIGTERM');
    // control-group (the default) would SIGTERM cloudflared too: a second signal kills it without a drain.
    expect(value('KillMode')).toBe('mixed');
    const stopMs = parseGoDuration(value('TimeoutStopSec') ?? '') ?? 0;
    expect(stopMs).toBeGreaterThanOrEqual(settings().cloudflared.gracePeriod + 10_000);
  });

  it('is hardened', () => {
    const expected: Record<string, string> = {
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      ProtectKernelTunables: 'yes',
      ProtectKernelModules: 'yes',
      ProtectControlGroups: 'yes',
      RestrictSUIDSGID: 'yes',
      LockPersonality: 'yes',
      CapabilityBoundingSet: '',
      SystemCallFilter: '@system-service',
      SystemCallArchitectures: 'native',
    };
    for (const [key, v] of Object.entries(expected)) expect(value(key), key).toBe(v);
    expect(value('DynamicUser') === 'yes' || value('User') !== undefined).toBe(true);
    const families = (value('RestrictAddressFamilies') ?? '').split(/\s+/);
    expect(families).toEqual(expect.arrayContaining(['AF_INET', 'AF_INET6', 'AF_UNIX']));
    expect(families).not.toContain('AF_PACKET');
    // V8's JIT needs writable executable memory; this option would crash node.
    expect(value('MemoryDenyWriteExecute')).not.toBe('yes');
  });
});

describe.runIf(existsSync(ANALYZE))('systemd unit: systemd-analyze', () => {
  const run = async (args: string[]): Promise<{ code: number; stderr: string }> => {
    try {
      const { stderr } = await promisify(execFile)(ANALYZE, args, { timeout: 20_000 });
      return { code: 0, stderr };
    } catch (error) {
      const e = error as { code?: number; stderr?: string };
      return { code: e.code ?? -1, stderr: e.stderr ?? '' };
    }
  };
  // Verify checks that ExecStart exists; off the target host it does not, so a copy points at /bin/true.
  const dir = mkdtempSync(join(tmpdir(), 'tw-systemd-'));
  const copy = join(dir, 'tunnelwatch.service');
  writeFileSync(copy, unitText.replace(/^ExecStart=\/usr\/bin\/tunnelwatch /m, 'ExecStart=/bin/true '));
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
  const aboutUnit = (stderr: string) => stderr.split('\n').filter((l) => l.includes('tunnelwatch.service'));

  it('verify on the unit itself complains about nothing but a missing /usr/bin/tunnelwatch', async () => {
    const { stderr } = await run(['verify', UNIT_PATH]);
    expect(aboutUnit(stderr).filter((l) => !/Command \/usr\/bin\/tunnelwatch is not executable/.test(l))).toEqual([]);
  });

  it('verify is clean once ExecStart exists', async () => {
    const { code, stderr } = await run(['verify', copy]);
    expect(aboutUnit(stderr)).toEqual([]);
    expect(code).toBe(0);
  });

  it('security rates its exposure low (at most 2.5 of 10)', async () => {
    const { code, stderr } = await run(['security', '--offline=true', '--threshold=25', copy]);
    if (/unrecognized option|Unknown option/i.test(stderr)) return; // systemd before 250
    expect(code).toBe(0);
  });
});
