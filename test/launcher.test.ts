// bin/tunnelwatch carries Node's flags on its first line; they apply only when it runs as a program, so every
// launcher must run it that way. Checked on a real process: what Node was started with, from /proc.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { BIN, launchEnv, launchNodeFlags } from '../bench/launcher.js';
import { ROOT } from './helpers/cli.js';

describe('the launcher, bin/tunnelwatch', () => {
  it('starts Node with 8 MiB young-generation semi-spaces and an old generation that grows by a fifth', () => {
    expect(launchNodeFlags()).toEqual(['--max-semi-space-size=8', '--heap-growing-percent=20']);
  });

  it('starts it with two malloc arenas', () => {
    expect(launchEnv()).toEqual({ MALLOC_ARENA_MAX: '2' });
  });

  it('says which line is wrong when its first line is not `env -S` with variables, node and flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tw-launcher-'));
    try {
      const bin = join(dir, 'tunnelwatch');
      writeFileSync(bin, '#!/usr/bin/env node\n');
      expect(() => launchNodeFlags(bin)).toThrow(`${bin}: the first line should be "#!/usr/bin/env -S [NAME=value ...] node [--flag ...]", found "#!/usr/bin/env node"`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('run as a program, gives Node those flags and variables', async () => {
    const child = spawn(BIN, ['emulate', 'api', '--listen', '127.0.0.1:0'], { cwd: ROOT, env: { PATH: process.env.PATH, CLOUDFLARE_API_TOKEN: 'launcher-test' }, stdio: ['ignore', 'pipe', 'inherit'] });
    const closed = new Promise((resolve) => child.once('close', resolve));
    try {
      // The emulator prints where it listens once it runs: by then env has exec'd Node in the same process.
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => { reject(new Error(`bin/tunnelwatch exited (${String(code)}) before printing`)); });
      });
      expect(first).toContain('"url"');
      const argv = readFileSync(`/proc/${String(child.pid)}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
      expect(argv.slice(1)).toEqual([...launchNodeFlags(), BIN, 'emulate', 'api', '--listen', '127.0.0.1:0']);
      const environ = readFileSync(`/proc/${String(child.pid)}/environ`, 'utf8').split('\0');
      for (const [name, value] of Object.entries(launchEnv())) expect(environ).toContain(`${name}=${value}`);
    } finally {
      child.kill('SIGTERM');
      await closed;
    }
  });

  it('is run as a program by npm start (the Dockerfile, the systemd unit and the manifests are checked in their own tests)', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toMatch(/^bin\/tunnelwatch /);
  });
});
