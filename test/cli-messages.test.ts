// The command line's own messages: usage errors (unknown flags and commands, missing values, extra arguments),
// `help COMMAND`, errors naming the flag a setting came from, and `run`'s checks before cloudflared first starts.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { readTextOrUndefined } from '../src/base/input-file.js';
import { defaultConfigPaths } from '../src/cli/cloudflared-config-input.js';
import type { Io } from '../src/cli/io.js';
import { preflight } from '../src/cli/preflight.js';
import { COMMAND_USAGE, type CommandName } from '../src/cli/usage.js';
import { encodeTunnelToken } from '../src/cloudflared/token.js';
import { loadSettings } from '../src/config/load.js';
import { type Run, runBin, runCli } from './helpers/cli.js';

const TOKEN = encodeTunnelToken({ accountTag: 'd3b07384d113edec49eaa6238ad5ff00', tunnelId: 'c1744f8b-faa1-48a4-9e5c-02ac921467fa', secret: Buffer.from('tunnel-secret-for-the-test') });
const HIDDEN = new Set(defaultConfigPaths());

const firstLines = (text: string, n: number): string[] => text.split('\n').slice(0, n);

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tw-cli-messages-'));
  dirs.push(dir);
  return dir;
}

/** A file in a fresh directory, with the given mode. */
function file(name: string, text: string, mode: number): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/** What the CLI reads, except a config in cloudflared's default directories on this host. */
const readText = (path: string): string | undefined => (HIDDEN.has(path) ? undefined : readTextOrUndefined(path));

const cli = (args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> => runCli(args, { env, readText });

describe('usage errors', () => {
  it('an unknown flag: one line naming the command, the flag and the nearest one, where to read more, then the usage; exit 2', async () => {
    const run = await runCli(['run', '--lisen', 'x']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`tunnelwatch run: unknown flag --lisen; did you mean --listen?\nsee: tunnelwatch help run\n\n${COMMAND_USAGE.run}`);
  });

  it('suggests the only flag a prefix begins, and nothing when no flag is close', async () => {
    expect(firstLines((await runCli(['validate', '--conf', 'x'])).stderr, 1)).toEqual(['tunnelwatch validate: unknown flag --conf; did you mean --config?']);
    expect(firstLines((await runCli(['doctor', '--bogus'])).stderr, 2)).toEqual(['tunnelwatch doctor: unknown flag --bogus', 'see: tunnelwatch help doctor']);
    expect(firstLines((await runCli(['analyze', '-x'])).stderr, 1)).toEqual(['tunnelwatch analyze: unknown flag -x']);
  });

  it.each(['validate', 'ingress', 'analyze', 'doctor', 'incident', 'run', 'settings', 'demo'] as const)('%s names itself in its usage errors', async (command) => {
    const run = await runCli([command, '--no-such-flag']);
    expect(run.code).toBe(2);
    expect(firstLines(run.stderr, 2)).toEqual([`tunnelwatch ${command}: unknown flag --no-such-flag`, `see: tunnelwatch help ${command}`]);
  });

  it('a flag without its value says what the value looks like, also when the next argument is a flag', async () => {
    const cases: [string[], string][] = [
      [['run', '--listen'], 'tunnelwatch run: --listen needs a value (HOST:PORT)'],
      [['run', '--listen', '--for', '30s'], 'tunnelwatch run: --listen needs a value (HOST:PORT)'],
      [['run', '--cloudflared'], 'tunnelwatch run: --cloudflared needs a value (PATH|emulator)'],
      [['validate', '--set'], 'tunnelwatch validate: --set needs a value (K=V)'],
      [['demo', '--time-scale'], 'tunnelwatch demo: --time-scale needs a value (N)'],
      [['incident', '--token-file'], 'tunnelwatch incident: --token-file needs a value (FILE)'],
    ];
    for (const [args, line] of cases) {
      const run = await runCli(args);
      expect(run.code).toBe(2);
      expect(firstLines(run.stderr, 2)).toEqual([line, `see: tunnelwatch help ${args[0] ?? ''}`]);
    }
  });

  it('a switch given a value, and an argument too many', async () => {
    expect(firstLines((await runCli(['validate', '--json=yes'])).stderr, 1)).toEqual(['tunnelwatch validate: --json takes no value, got "--json=yes"']);
    expect(firstLines((await runCli(['run', 'extra'])).stderr, 1)).toEqual(['tunnelwatch run: unexpected argument "extra"']);
    expect(firstLines((await runCli(['validate', 'config.yml'])).stderr, 1)).toEqual(['tunnelwatch validate: unexpected argument "config.yml"; the config goes after --config']);
    expect(firstLines((await runCli(['analyze', 'a.log', 'b.log'])).stderr, 1)).toEqual(['tunnelwatch analyze: unexpected argument "b.log"; analyze reads one FILE (or stdin)']);
    expect(firstLines((await runCli(['ingress', 'match', 'https://a.example', 'more'])).stderr, 1)).toEqual(['tunnelwatch ingress: unexpected argument "more"; ingress match takes one URL']);
    for (const args of [['validate', '--json=yes'], ['run', 'extra']]) {
      const run = await runCli(args);
      expect(run.code).toBe(2);
      expect(run.stderr).not.toContain('parseArgs');
      expect(run.stderr).not.toContain('To specify a positional argument');
    }
  });

  it('keeps -h and --help: the usage on stdout, exit 0', async () => {
    for (const flag of ['-h', '--help']) expect(await runCli(['run', flag])).toEqual({ code: 0, stdout: COMMAND_USAGE.run, stderr: '' });
    expect(await runCli(['ingress', '-h'])).toEqual({ code: 0, stdout: COMMAND_USAGE.ingress, stderr: '' });
  });
});

describe('unknown commands', () => {
  it('names the nearest command when one is close', async () => {
    for (const [typo, meant] of [['valdiate', 'validate'], ['doctr', 'doctor'], ['ingres', 'ingress'], ['setings', 'settings']]) {
      const run = await runCli([typo ?? '']);
      expect(run.code).toBe(2);
      expect(firstLines(run.stderr, 2)).toEqual([`tunnelwatch: unknown command "${typo ?? ''}"; did you mean "${meant ?? ''}"?`, '']);
    }
  });

  it('suggests nothing when no command is close, then prints the help', async () => {
    const run = await runCli(['stauts']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^tunnelwatch: unknown command "stauts"\n\ntunnelwatch \S+ — runs, watches/);
    expect(run.stderr).toContain('Usage: tunnelwatch <command> [options]');
  });
});

describe('help', () => {
  it.each(Object.keys(COMMAND_USAGE) as CommandName[])('help %s prints that command\'s usage on stdout, exit 0', async (command) => {
    expect(await runCli(['help', command])).toEqual({ code: 0, stdout: COMMAND_USAGE[command], stderr: '' });
  });

  it('the usage help prints is the one --help prints', async () => {
    for (const command of ['validate', 'analyze', 'doctor', 'incident', 'run', 'settings', 'demo', 'emulate'] as const) {
      expect((await runCli([command, '--help'])).stdout).toBe(COMMAND_USAGE[command]);
    }
  });

  it('help alone prints the top-level help; help of an unknown command is a usage error with the suggestion', async () => {
    const top = await runCli(['help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('help [COMMAND]');
    expect(await runCli(['help', 'nosuch'])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringMatching(/^tunnelwatch: unknown command "nosuch"\n/) as unknown });
    expect(firstLines((await runCli(['help', 'rnu'])).stderr, 1)).toEqual(['tunnelwatch: unknown command "rnu"; did you mean "run"?']);
    expect(await runCli(['help', 'run', 'demo'])).toEqual({ code: 2, stdout: '', stderr: 'tunnelwatch help: unexpected argument "demo"; write `tunnelwatch help COMMAND`\n' });
  });

  it('loads neither fastify nor the Cloudflare SDK to print a usage (built executable)', async () => {
    // Hooks that fail the process the moment either is loaded. The executable runs the bundle (scripts/bundle.ts),
    // where fastify is inside a chunk: a chunk with fastify's error codes is fastify. The SDK is require()d.
    const dir = tempDir();
    writeFileSync(join(dir, 'hooks.mjs'), "export async function load(u, c, next) { const r = await next(u, c); if (String(r.source ?? '').includes('FST_ERR_')) throw new Error('loaded fastify'); return r; }\n");
    writeFileSync(
      join(dir, 'register.mjs'),
      [
        "import Module, { register } from 'node:module';",
        "register(new URL('./hooks.mjs', import.meta.url));",
        'const load = Module._load;',
        "Module._load = function (request, ...rest) { if (/^cloudflare(\\/|$)|\\/node_modules\\/cloudflare\\//.test(request)) throw new Error('loaded cloudflare'); return load.call(this, request, ...rest); };",
        '',
      ].join('\n'),
    );
    const bin = (args: readonly string[]): Promise<Run> => runBin(args, { env: { NODE_OPTIONS: `--import ${join(dir, 'register.mjs')}` } });
    expect(await bin(['help', 'run'])).toEqual({ code: 0, stdout: COMMAND_USAGE.run, stderr: '' });
    expect(await bin(['help', 'demo'])).toEqual({ code: 0, stdout: COMMAND_USAGE.demo, stderr: '' });
    // The hook works: running the command itself does load fastify.
    expect((await bin(['run', '--help'])).stderr).toContain('loaded fastify');
  });
});

describe('errors name the flag a setting came from', () => {
  it('--listen and --cloudflared, not the --set they stand for', async () => {
    const listen = await runCli(['run', '--listen', '127.0.0.1:99999']);
    expect(listen.code).toBe(1);
    expect(listen.stderr).toContain('server.listen: got "127.0.0.1:99999", expected "host:port"');
    expect(listen.stderr).toContain('(from --listen)');
    expect(listen.stderr).not.toContain('--set');
    const binary = await runCli(['run', '--cloudflared', '']);
    expect(binary.code).toBe(1);
    expect(binary.stderr).toMatch(/cloudflared\.binary: .*\(from --cloudflared\)/);
  });

  it('a real --set stays --set K, and demo names its --listen too', async () => {
    expect((await runCli(['run', '--set', 'server.listen=127.0.0.1:99999'])).stderr).toContain('(from --set server.listen)');
    expect((await runCli(['run', '--set', 'cloudflared.haConnections=many'])).stderr).toContain('expected a number (from --set cloudflared.haConnections)');
    const demo = await runCli(['demo', '--listen', 'nowhere']);
    expect(demo.code).toBe(1);
    expect(demo.stderr).toMatch(/server\.listen: got "nowhere", .*\(from --listen\)/);
  });
});

describe('run: checks before cloudflared first starts', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  async function listening(server: Server): Promise<number> {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /** A directory holding an executable `cloudflared`, to be PATH. */
  function pathWithCloudflared(): string {
    const dir = tempDir();
    writeFileSync(join(dir, 'cloudflared'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(dir, 'cloudflared'), 0o755);
    return dir;
  }

  /** Settings from these variables; what a test does not name is fine (token, binary on PATH, metrics port 0). */
  function settingsOf(env: NodeJS.ProcessEnv) {
    const r = loadSettings({ env: { TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0', ...env } });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    return r.settings;
  }

  const io = (env: NodeJS.ProcessEnv): Io => ({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: Readable.from(['']), env, readText });
  const base = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ PATH: pathWithCloudflared(), TUNNELWATCH_CLOUDFLARED_TOKEN: TOKEN, TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0', ...extra });

  it('a binary name not on PATH (one entry of it a file): one line naming the setting and the fix, exit 1', async () => {
    const run = await cli(['run', '--cloudflared', 'cloudflaredx'], base({ PATH: `${file('not-a-dir', '', 0o644)}:${tempDir()}` }));
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'tunnelwatch run: cloudflared binary "cloudflaredx" not found on PATH; install cloudflared or set cloudflared.binary (--cloudflared) to its path\n',
    });
  });

  it('a path that does not exist, a directory, a file that is not executable (given, or found on PATH)', async () => {
    expect((await cli(['run', '--cloudflared', '/nonexistent/cloudflared'], base())).stderr).toBe(
      'tunnelwatch run: cloudflared binary /nonexistent/cloudflared does not exist; install cloudflared or set cloudflared.binary (--cloudflared) to its path\n',
    );
    const dir = tempDir();
    expect((await cli(['run', '--cloudflared', dir], base())).stderr).toBe(`tunnelwatch run: cloudflared binary ${dir} is a directory; set cloudflared.binary (--cloudflared) to the cloudflared file itself\n`);
    const plain = file('cloudflared', '#!/bin/sh\n', 0o644);
    const run = await cli(['run', '--cloudflared', plain], base());
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`tunnelwatch run: cloudflared binary ${plain} is not executable (mode 0644); chmod +x it, or set cloudflared.binary (--cloudflared) to its path\n`);
    const onPath = await cli(['run'], base({ PATH: join(plain, '..') }));
    expect(onPath.stderr).toBe(`tunnelwatch run: cloudflared binary ${plain} is not executable (mode 0644); chmod +x it, or set cloudflared.binary (--cloudflared) to its path\n`);
  });

  it('no token and nothing else naming the tunnel', async () => {
    const run = await cli(['run'], { PATH: pathWithCloudflared(), TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0' });
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'tunnelwatch run: no tunnel token, and no cloudflared config to name the tunnel; set cloudflared.tokenFile (TUNNELWATCH_CLOUDFLARED_TOKEN_FILE) to a file holding the token from the dashboard, or cloudflared.config to a config with tunnel: and credentials-file:\n',
    });
  });

  it('a token file that cannot be read, or is empty', async () => {
    const missing = await cli(['run'], base({ TUNNELWATCH_CLOUDFLARED_TOKEN: undefined, TUNNELWATCH_CLOUDFLARED_TOKEN_FILE: '/nonexistent/token' }));
    expect(missing).toMatchObject({ code: 1, stderr: 'tunnelwatch run: cannot read the tunnel token in cloudflared.tokenFile: /nonexistent/token does not exist; check the path\n' });
    const empty = file('token', '\n', 0o600);
    expect((await cli(['run'], base({ TUNNELWATCH_CLOUDFLARED_TOKEN: undefined, TUNNEL_TOKEN_FILE: empty }))).stderr).toBe(
      `tunnelwatch run: the tunnel token in cloudflared.tokenFile ${empty} is empty; give the token of the tunnel from the dashboard\n`,
    );
  });

  it('a malformed token, inline or in its file, named by where it came from and never shown', async () => {
    const bad = 'not-a-token-but-a-secret-all-the-same';
    const inline = await cli(['run'], base({ TUNNELWATCH_CLOUDFLARED_TOKEN: bad }));
    expect(inline.code).toBe(1);
    expect(inline.stderr).toBe(
      'tunnelwatch run: the tunnel token in cloudflared.token cannot be read: the token is not standard base64; the token is cut, quoted or has whitespace inside: paste it again from the dashboard as one line, without quotes, into cloudflared.tokenFile\n',
    );
    const inFile = file('token', Buffer.from('{"a": 1}').toString('base64'), 0o600);
    const fromFile = await cli(['run'], base({ TUNNELWATCH_CLOUDFLARED_TOKEN: undefined, TUNNELWATCH_CLOUDFLARED_TOKEN_FILE: inFile }));
    expect(fromFile.stderr).toMatch(new RegExp(`^tunnelwatch run: the tunnel token in cloudflared\\.tokenFile ${inFile} cannot be read: a token field has the wrong type; the token is cut`));
    for (const run of [inline, fromFile]) expect(run.stdout + run.stderr).not.toContain(bad);
  });

  it('a metrics address that something other than cloudflared holds', async () => {
    const port = await listening(createHttpServer((_req, res) => res.writeHead(404).end('not here')));
    const run = await cli(['run'], base({ TUNNELWATCH_CLOUDFLARED_METRICS: `127.0.0.1:${String(port)}` }));
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: `tunnelwatch run: cloudflared.metrics 127.0.0.1:${String(port)} cannot be bound (EADDRINUSE) and no cloudflared answers /ready there; another process (often a second cloudflared) holds the metrics address: stop it, or give this connector another address with cloudflared.metrics\n`,
    });
  });

  it('reports every problem, one line each', async () => {
    const run = await cli(['run', '--cloudflared', '/nonexistent'], { TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0' });
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')).toEqual([expect.stringContaining('cloudflared binary /nonexistent does not exist'), expect.stringContaining('no tunnel token'), '']);
  });

  it('passes a found binary with a well-formed token, and needs no token with a cloudflared config or --config in extraArgs', async () => {
    expect(await preflight(settingsOf(base()), io(base()))).toEqual([]);
    const noToken = { PATH: pathWithCloudflared(), TUNNELWATCH_CLOUDFLARED_METRICS: '127.0.0.1:0' };
    expect(await preflight(settingsOf({ ...noToken, TUNNELWATCH_CLOUDFLARED_CONFIG: '/etc/tw-test/config.yml' }), io(noToken))).toEqual([]);
    expect(await preflight(settingsOf({ ...noToken, TUNNELWATCH_CLOUDFLARED_EXTRA_ARGS: '--config,/etc/tw-test/config.yml' }), io(noToken))).toEqual([]);
  });

  it('the emulator needs neither a binary nor a token', async () => {
    const env = { PATH: tempDir(), TUNNELWATCH_CLOUDFLARED_BINARY: 'emulator' };
    expect(await preflight(settingsOf(env), io(env))).toEqual([]);
  });

  it('a metrics address held by a cloudflared (one a killed tunnelwatch left running, stopped at start) is no problem', async () => {
    const cloudflared = createHttpServer((req, res) => {
      if (req.url === '/ready') res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":200,"readyConnections":4,"connectorId":"5f8c3e9a-0b7d-4c1e-9a2f-3d4e5f6a7b8c"}');
      else res.writeHead(404).end();
    });
    const port = await listening(cloudflared);
    const env = base({ TUNNELWATCH_CLOUDFLARED_METRICS: `127.0.0.1:${String(port)}` });
    expect(await preflight(settingsOf(env), io(env))).toEqual([]);
  });
});
