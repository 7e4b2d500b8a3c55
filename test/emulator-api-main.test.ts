// runApiEmulator as a process entry: arguments, the seed file, the one JSON line on stdout, and SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApiEmulator, type EmulatorProcessIo } from '../src/emulator/api/main.js';
import { ACCOUNT, TOKEN, TUNNEL, client } from './emulator-api-helpers.js';

const SEED_YAML = `apiTokens: [${TOKEN}]
accounts:
  - id: ${ACCOUNT}
    tunnels:
      - { id: ${TUNNEL}, name: from-yaml }
`;

let dir: string;
let seedFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tw-emulator-api-'));
  seedFile = join(dir, 'seed.yml');
  await writeFile(seedFile, SEED_YAML);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fakeIo(files: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let stop: (() => void) | undefined;
  const io: EmulatorProcessIo = {
    stdout,
    stderr,
    readText: (path) => files[path],
    onTerminate: (callback) => {
      stop = callback;
      return () => {
        stop = undefined;
      };
    },
  };
  const text = (stream: PassThrough) => (stream.read() as Buffer | null)?.toString('utf8') ?? '';
  return { io, firstLine: async () => String((await once(createInterface({ input: stdout }), 'line'))[0]), terminate: () => stop?.(), stderrText: () => text(stderr) };
}

describe('runApiEmulator in-process', () => {
  it('prints {url, origin} once listening, serves the seed, and exits 0 when terminated', async () => {
    const fake = fakeIo({ 'seed.yml': SEED_YAML });
    const exit = runApiEmulator(['--listen', '127.0.0.1:0', '--state=seed.yml'], {}, fake.io);
    const announced = JSON.parse(await fake.firstLine()) as { url: string; origin: string };
    expect(announced.url).toBe(`${announced.origin}/client/v4`);
    expect(announced.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const tunnel = await client(announced.url).zeroTrust.tunnels.cloudflared.get(TUNNEL, { account_id: ACCOUNT });
    expect(tunnel.name).toBe('from-yaml');
    fake.terminate();
    expect(await exit).toBe(0);
    await expect(fetch(`${announced.origin}/__emulator/state`)).rejects.toThrow();
  });

  it('accepts CLOUDFLARE_API_TOKEN when the seed has no tokens', async () => {
    const fake = fakeIo();
    const exit = runApiEmulator([], { CLOUDFLARE_API_TOKEN: 'env-token' }, fake.io);
    const { url } = JSON.parse(await fake.firstLine()) as { url: string };
    const page = await client(url, { token: 'env-token' }).zeroTrust.tunnels.cloudflared.list({ account_id: ACCOUNT }).catch((e: unknown) => e);
    // No such account in an empty seed: refused like any account the token cannot see.
    expect((page as { status?: number }).status).toBe(403);
    fake.terminate();
    expect(await exit).toBe(0);
  });

  it.each([
    [['--listen', 'localhost'], 2, '--listen takes HOST:PORT (port 0-65535), got "localhost"'],
    [['--port', '1'], 2, 'unknown argument "--port"'],
    [['--state'], 2, '--state needs a value'],
    [['--state', 'missing.yml'], 1, 'cannot read the emulator seed missing.yml'],
    [['--state', 'bad.yml'], 1, '✖ expected an account tag of 32 lower-case hex digits\n  → at accounts[0].id'],
  ])('%j exits %i', async (argv, code, message) => {
    const fake = fakeIo({ 'bad.yml': `apiTokens: [x]\naccounts: [{ id: nope }]\n` });
    expect(await runApiEmulator(argv, {}, fake.io)).toBe(code);
    expect(fake.stderrText()).toContain(message);
  });
});

describe('runApiEmulator as a process', () => {
  it('announces itself on stdout and exits 0 on SIGTERM', async () => {
    const entry = pathToFileURL(join(import.meta.dirname, '../src/emulator/api/main.ts')).href;
    const script = `const { runApiEmulator } = await import(${JSON.stringify(entry)}); process.exitCode = await runApiEmulator(process.argv.slice(1), process.env);`;
    // `--` keeps node from reading --state as its own option; cwd lets `--import tsx` resolve the package.
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, '--', '--state', seedFile], {
      cwd: join(import.meta.dirname, '..'),
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => {
        reject(new Error(`the emulator exited (${String(code)}) before announcing itself: ${stderr}`));
      });
    });
    const { url } = JSON.parse(line) as { url: string };
    const tunnel = await client(url).zeroTrust.tunnels.cloudflared.get(TUNNEL, { account_id: ACCOUNT });
    expect(tunnel.name).toBe('from-yaml');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
