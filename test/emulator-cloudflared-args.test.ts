// The emulated cloudflared's command line: flag placement, env fallbacks, precedence and every rejection
// with cloudflared's exact text, stream and exit status. Runs the process entry point in-process.
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLogLine } from '../src/cloudflared/log/line.js';
import { runEmulatedCloudflared } from '../src/emulator/cloudflared/main.js';
import { parseCommandLine } from '../src/emulator/cloudflared/args.js';
import { Settings } from '../src/emulator/cloudflared/settings.js';
import { environmentLine } from '../src/emulator/cloudflared/settings.js';
import { TOKEN } from './emulator-cloudflared-harness.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/emulator/${name}`, import.meta.url));

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runEmulatedCloudflared(argv, { HOME: '/nonexistent-home', CFEMU_TIME_SCALE: '0.001', ...env }, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    exit: (c) => {
      throw new Error(`unexpected exit ${String(c)}`);
    },
    cwd: '/',
    stdoutIsTty: false,
  });
  return { code, stdout, stderr };
}

const RUN = ['tunnel', '--no-autoupdate', '--no-prechecks', 'run'];
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe('version', () => {
  it('prints the version line on stdout', async () => {
    for (const argv of [['version'], ['--version'], ['-v'], ['-V']]) {
      expect(await run(argv)).toEqual({ code: 0, stdout: 'cloudflared version 2026.8.2 (built 2026-08-20T09:54 UTC)\n', stderr: '' });
    }
    expect((await run(['version', '--short'])).stdout).toBe('2026.8.2\n');
    expect((await run(['version'], { CFEMU_VERSION: '2025.4.0' })).stdout).toBe('cloudflared version 2025.4.0 (built 2026-08-20T09:54 UTC)\n');
  });
});

describe('flag placement (urfave/cli: per-level flags, error on stdout, exit 0)', () => {
  it('rejects a run-level flag before `run`', async () => {
    const r = await run(['tunnel', '--token', TOKEN, 'run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.startsWith('Incorrect Usage. flag provided but not defined: -token\n\nNAME:\n   cloudflared tunnel - ')).toBe(true);
  });

  it('rejects a tunnel-level flag after `run`', async () => {
    const r = await run(['tunnel', 'run', '--metrics', '127.0.0.1:0']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.startsWith('Incorrect Usage: flag provided but not defined: -metrics\n\nNAME:\n\tcloudflared tunnel run - ')).toBe(true);
    expect(r.stdout).toContain('cloudflared tunnel [tunnel command options] run [subcommand options] [TUNNEL]');
  });

  it('reports Go flag errors: missing argument, bad values', async () => {
    expect((await run(['tunnel', 'run', '--token'])).stdout.split('\n')[0]).toBe('Incorrect Usage: flag needs an argument: -token');
    expect((await run(['tunnel', '--ha-connections', 'x', 'run'])).stdout.split('\n')[0]).toBe(
      'Incorrect Usage. invalid value "x" for flag -ha-connections: parse error',
    );
    expect((await run(['tunnel', '--no-autoupdate=maybe', 'run'])).stdout.split('\n')[0]).toBe(
      'Incorrect Usage. invalid boolean value "maybe" for -no-autoupdate: parse error',
    );
  });

  it('prints help for -h with exit 0', async () => {
    const r = await run(['tunnel', 'run', '-h']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('NAME:\n\tcloudflared tunnel run')).toBe(true);
  });

  it('ends silently when an env var cannot be read as its flag type (App.Run swallows it)', async () => {
    expect(await run(RUN, { NO_AUTOUPDATE: 'maybe', TUNNEL_TOKEN: TOKEN })).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('reads flags, positional argument and levels', () => {
    const inv = parseCommandLine(['--loglevel', 'debug', 'tunnel', '--metrics=127.0.0.1:9300', '--no-autoupdate', 'run', '-p', 'http2', 'my-tunnel'], {}, '2026.8.2');
    expect(inv.kind).toBe('run');
    if (inv.kind !== 'run') return;
    const s = new Settings(inv.commandLine, {});
    expect(s.string('loglevel')).toBe('debug');
    expect(s.string('metrics')).toBe('127.0.0.1:9300');
    expect(s.string('protocol')).toBe('http2');
    expect(inv.commandLine.positional).toEqual(['my-tunnel']);
    expect(s.settingsLine()).toBe('map[loglevel:debug metrics:127.0.0.1:9300 no-autoupdate:true p:http2 protocol:http2]');
  });
});

describe('precedence: command line > env > config file > default', () => {
  const cl = (argv: string[]) => {
    const inv = parseCommandLine(['tunnel', ...argv, 'run'], {}, '2026.8.2');
    if (inv.kind !== 'run') throw new Error('not a run');
    return inv.commandLine;
  };
  const file = new Map<string, string | number | boolean>([['grace-period', 10_000], ['metrics', '127.0.0.1:1111']]);

  it('resolves each level', () => {
    expect(new Settings(cl([]), {}, file).durationMs('grace-period')).toBe(10_000);
    expect(new Settings(cl([]), { TUNNEL_GRACE_PERIOD: '20s' }, file).durationMs('grace-period')).toBe(20_000);
    expect(new Settings(cl(['--grace-period', '30s']), { TUNNEL_GRACE_PERIOD: '20s' }, file).durationMs('grace-period')).toBe(30_000);
    expect(new Settings(cl([]), {}).durationMs('grace-period')).toBe(30_000);
    expect(new Settings(cl([]), {}, file).string('metrics')).toBe('127.0.0.1:1111');
    expect(new Settings(cl([]), { TUNNEL_METRICS: '127.0.0.1:2222' }, file).string('metrics')).toBe('127.0.0.1:2222');
  });

  it('reads --output from TUNNEL_MANAGEMENT_OUTPUT before TUNNEL_LOG_OUTPUT, never from the file', () => {
    expect(new Settings(cl([]), { TUNNEL_LOG_OUTPUT: 'json' }).string('output')).toBe('json');
    expect(new Settings(cl([]), { TUNNEL_MANAGEMENT_OUTPUT: 'default', TUNNEL_LOG_OUTPUT: 'json' }).string('output')).toBe('default');
    expect(new Settings(cl([]), {}, new Map([['output', 'json']])).string('output')).toBe('default');
  });

  it('masks secrets and drops env entries with more than one "="', () => {
    expect(environmentLine({ TUNNEL_TOKEN: 'abc', TUNNEL_METRICS: '127.0.0.1:1', OTHER: 'x', TUNNEL_X: 'a=b' })).toBe('map[TUNNEL_METRICS:127.0.0.1:1 TUNNEL_TOKEN:*****]');
  });
});

describe('rejections', () => {
  it('invalid token: usage error, exit 255', async () => {
    const expected = { code: 255, stdout: '', stderr: "Provided Tunnel token is not valid.\nSee 'cloudflared tunnel run --help'.\n" };
    expect(await run([...RUN.slice(0, -1), 'run', '--token', 'not-a-token'])).toEqual(expected);
    expect(await run(RUN, { TUNNEL_TOKEN: 'eyJhIjoiYWJj' })).toEqual(expected);
  });

  it('no token and no tunnel: usage error, exit 255', async () => {
    expect(await run(RUN)).toEqual({
      code: 255,
      stdout: '',
      stderr: '"cloudflared tunnel run" requires the ID or name of the tunnel to run as the last command line argument or in the configuration file.\nSee \'cloudflared tunnel run --help\'.\n',
    });
    expect((await run([...RUN, 'a', 'b'])).stderr.split('\n')[0]).toBe('"cloudflared tunnel run" accepts only one argument, the ID or name of the tunnel to run.');
    const missing = await run([...RUN.slice(0, -1), 'run', '--token-file', '/nonexistent/token']);
    expect(missing.code).toBe(255);
    expect(missing.stderr).toBe("Failed to read token file: open /nonexistent/token: no such file or directory\nSee 'cloudflared tunnel run --help'.\n");
  });

  it('grace period above 3m: Couldn\'t start tunnel, exit 1', async () => {
    for (const [argv, env] of [[['tunnel', '--no-prechecks', '--grace-period', '4m', 'run'], { TUNNEL_TOKEN: TOKEN }], [RUN, { TUNNEL_TOKEN: TOKEN, TUNNEL_GRACE_PERIOD: '5m' }]] as const) {
      const r = await run([...argv], env);
      expect(r.code).toBe(1);
      const out = lines(r.stderr);
      expect(out.at(-1)).toBe('grace-period must be equal or less than 3m0s');
      const fatal = parseLogLine(out.at(-2) ?? '');
      expect(fatal.type).toBe('fatal');
      expect(fatal.error).toBe('grace-period must be equal or less than 3m0s');
      expect(out.map((l) => parseLogLine(l).type).slice(0, 2)).toEqual(['starting', 'version']);
    }
  });

  it('unknown protocol: Couldn\'t start tunnel, exit 1', async () => {
    const r = await run(['tunnel', '--no-prechecks', '--protocol', 'carrier-pigeon', 'run'], { TUNNEL_TOKEN: TOKEN });
    expect(r.code).toBe(1);
    expect(lines(r.stderr).at(-1)).toBe(
      "unknown protocol carrier-pigeon, Available protocols: 'auto' - automatically chooses the best protocol over time (the default; and also the recommended one); 'quic' - based on QUIC, relying on UDP egress to Cloudflare edge; 'http2' - using Go's HTTP2 library, relying on TCP egress to Cloudflare edge",
    );
  });

  it('missing explicit config file: exit 1, no log line', async () => {
    expect(await run(['tunnel', '--config', '/nonexistent/config.yml', 'run'], { TUNNEL_TOKEN: TOKEN })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'open /nonexistent/config.yml: no such file or directory\n',
    });
  });

  it('invalid ingress: Couldn\'t start tunnel with the validation error, exit 1', async () => {
    const r = await run(['tunnel', '--no-prechecks', '--config', fixture('invalid-ingress.yaml'), 'run'], { TUNNEL_TOKEN: TOKEN });
    expect(r.code).toBe(1);
    const out = lines(r.stderr);
    const message = 'The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)';
    expect(out.at(-1)).toBe(message);
    expect(out.at(-2)).toMatch(/^\S+Z ERR Couldn't start tunnel error="The last ingress rule must match all URLs/);
    const types = out.slice(0, -1).map((l) => parseLogLine(l).type);
    expect(types).toContain('connector_id');
    expect(types.at(-1)).toBe('fatal');
  });

  it('unparsable config and flag keys of the wrong type: exit 1 with the error', async () => {
    const syntax = await run(['tunnel', '--config', fixture('bad-syntax.yaml'), 'run'], { TUNNEL_TOKEN: TOKEN });
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/^error parsing YAML in config file at .*bad-syntax\.yaml: /);
    const flagType = await run(['tunnel', '--config', fixture('bad-flag-type.yaml'), 'run'], { TUNNEL_TOKEN: TOKEN });
    expect(flagType).toEqual({ code: 1, stdout: '', stderr: 'expected int found string for ha-connections\n' });
  });

  it('metrics address taken: Error opening metrics server listener, exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await run(['tunnel', '--no-prechecks', '--metrics', `127.0.0.1:${String(port)}`, 'run'], { TUNNEL_TOKEN: TOKEN });
      expect(r.code).toBe(1);
      const cause = `failed to bind to address (127.0.0.1:${String(port)}): listen tcp 127.0.0.1:${String(port)}: bind: address already in use`;
      expect(lines(r.stderr).at(-1)).toBe(`Error opening metrics server listener: ${cause}`);
      const logged = parseLogLine(lines(r.stderr).at(-2) ?? '');
      expect(logged.message).toBe('Error opening metrics server listener');
      expect(logged.error).toBe(cause);
    } finally {
      blocker.close();
    }
  });

  it('a bad --loglevel logs cloudflared\'s error and uses info', async () => {
    const r = await run(['tunnel', '--loglevel', 'loud', 'run', '--token', 'bad']);
    expect(lines(r.stderr)[0]).toMatch(/^\S+Z ERR Failed to parse log level "loud", using "info" instead$/);
  });

  it('bad emulator settings are reported as such (exit 64), never as a crash', async () => {
    const scale = await run(RUN, { TUNNEL_TOKEN: TOKEN, CFEMU_TIME_SCALE: 'fast' });
    expect(scale.code).toBe(64);
    expect(scale.stderr).toMatch(/^cfemu: CFEMU_TIME_SCALE must be a positive number/);
    const scenario = await run(RUN, { TUNNEL_TOKEN: TOKEN, CFEMU_SCENARIO: fixture('scenario-invalid.json') });
    expect(scenario.code).toBe(64);
    expect(scenario.stderr).toContain('invalid scenario');
    expect(scenario.stderr).toContain('steps[0].at');
    expect(scenario.stderr).toContain('steps[1]');
  });
});
