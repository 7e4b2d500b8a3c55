// The image cannot be built here (no Docker engine), so its Dockerfile is read and held to the properties
// that matter and to the hadolint rules that apply (DL3002, DL3003, DL3004, DL3006, DL3007, DL3008, DL3009,
// DL3014, DL3015, DL3020, DL3025, DL4000, DL4006).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../src/config/load.js';
import { ROOT } from './helpers/cli.js';
import { envPairs, execForm, options, parseDockerfile, stages, type Instruction } from './helpers/dockerfile.js';

const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const instructions = parseDockerfile(text);
const all = stages(instructions);
const final = all[all.length - 1];
const finalIns = final?.instructions ?? [];
const of = (keyword: string, list: readonly Instruction[] = instructions) => list.filter((i) => i.keyword === keyword);
const runs = of('RUN').map((i) => i.args);
const finalEnv = Object.assign({}, ...of('ENV', finalIns).map((i) => envPairs(i.args))) as Record<string, string>;
const CLOUDFLARED_IMAGE = /^cloudflare\/cloudflared:(\d{4}\.\d{1,2}\.\d+)(@sha256:[0-9a-f]{64})?$/;

describe('Dockerfile: what the image must be', () => {
  it('is multi-stage: a Node slim build stage (npm ci, build, prune) and a Node slim runtime', () => {
    expect(all.length).toBeGreaterThanOrEqual(3);
    const build = all.find((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\bnpm run build\b/.test(i.args)));
    expect(build?.image).toMatch(/^node:\d+-[a-z]+-slim$/);
    const buildRuns = of('RUN', build?.instructions).map((i) => i.args).join('\n');
    expect(buildRuns).toMatch(/\bnpm ci\b/);
    expect(buildRuns).toMatch(/\bnpm prune --omit=dev\b/);
    expect(final?.image).toMatch(/^node:\d+-[a-z]+-slim$/);
    expect(final?.image.split(':')[1]?.split('-')[0]).toBe(build?.image.split(':')[1]?.split('-')[0]);
  });

  it('copies cloudflared from the official image at a pinned version, to where tunnelwatch runs it', () => {
    const stage = all.find((s) => s.image.startsWith('cloudflare/cloudflared'));
    expect(stage?.image).toMatch(CLOUDFLARED_IMAGE);
    // Without a digest, the FROM line's comment must say how to pin it.
    if (!stage?.image.includes('@sha256:')) expect(text).toMatch(/@sha256:<digest>/);
    const copy = of('COPY', finalIns).find((i) => options(i.args).flags.from === stage?.name);
    const [source, target] = options(copy?.args ?? '').rest.split(/\s+/);
    expect(source).toBe('/usr/local/bin/cloudflared');
    expect(finalEnv.TUNNELWATCH_CLOUDFLARED_BINARY).toBe(target);
  });

  it('runs as a numeric non-root user, under tini, with tunnelwatch run as the entrypoint', () => {
    const user = of('USER', finalIns).pop()?.args ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    expect(execForm(of('ENTRYPOINT').pop()?.args ?? '')).toEqual(['/usr/bin/tini', '--', '/app/bin/tunnelwatch', 'run']);
    expect(of('RUN', finalIns).some((i) => /apt-get install[^&]*\btini\b/.test(i.args))).toBe(true);
    expect(of('STOPSIGNAL').pop()?.args).toBe('SIGTERM');
    expect(of('EXPOSE', finalIns).map((i) => i.args)).toContain('9464');
  });

  it('keeps every write in the spool volume, owned by that user, so the root filesystem can be read-only', () => {
    const spool = finalEnv.TUNNELWATCH_LOGS_SPOOL_DIR;
    expect(of('VOLUME', finalIns).map((i) => i.args)).toContain(spool);
    const user = of('USER', finalIns).pop()?.args ?? '';
    expect(of('RUN', finalIns).some((i) => i.args.includes(`chown ${user} ${spool ?? ''}`))).toBe(true);
  });

  it('its environment is valid tunnelwatch settings', () => {
    const result = loadSettings({ env: finalEnv });
    expect(result.ok ? [] : result.diagnostics.map((d) => d.message)).toEqual([]);
  });

  it('puts no secret in ENV or ARG', () => {
    for (const ins of [...of('ENV'), ...of('ARG')]) {
      const names = ins.keyword === 'ENV' ? Object.keys(envPairs(ins.args)) : [ins.args.split('=')[0] ?? ''];
      for (const name of names) expect(name, `line ${ins.line}`).not.toMatch(/TOKEN|SECRET|PASSWORD|CREDENTIAL|API_?KEY/i);
    }
  });

  it('copies only files that exist, and .dockerignore keeps them while excluding builds and secrets', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const ins of of('COPY').filter((i) => options(i.args).flags.from === undefined)) {
      const sources = options(ins.args).rest.split(/\s+/).slice(0, -1);
      for (const s of sources) {
        expect(existsSync(join(ROOT, s)), s).toBe(true);
        expect(ignore, s).not.toContain(s);
      }
    }
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git', '**/*.env', '**/tunnel-token*']));
  });
});

describe('Dockerfile: hadolint rules', () => {
  it('DL3006/DL3007: every base image has an explicit tag, never latest', () => {
    for (const s of all) {
      expect(s.image, s.image).toMatch(/^[^:@]+(:[\w.-]+)(@sha256:[0-9a-f]{64})?$/);
      expect(s.image).not.toMatch(/:latest\b/);
    }
  });

  it('DL3025: ENTRYPOINT, CMD and HEALTHCHECK CMD use the JSON form', () => {
    for (const ins of [...of('ENTRYPOINT'), ...of('CMD')]) expect(execForm(ins.args), `line ${ins.line}`).toBeDefined();
    for (const ins of of('HEALTHCHECK')) expect(execForm(options(ins.args).rest.replace(/^CMD\s+/, '')), `line ${ins.line}`).toBeDefined();
  });

  it('DL3008/DL3009/DL3014/DL3015: apt-get installs pinned packages, -y, no recommends, lists removed', () => {
    const installs = runs.filter((r) => /apt-get install/.test(r));
    for (const run of installs) {
      expect(run).toMatch(/apt-get install -y\b/);
      expect(run).toContain('--no-install-recommends');
      expect(run).toContain('rm -rf /var/lib/apt/lists/*');
      const packages = /apt-get install ([^&;]*)/.exec(run)?.[1]?.split(/\s+/).filter((w) => w !== '' && !w.startsWith('-')) ?? [];
      expect(packages.length).toBeGreaterThan(0);
      for (const p of packages) expect(p, 'pin apt packages as name=version').toMatch(/^[a-z0-9.+-]+=\S+$/);
    }
  });

  it('DL4006: a RUN with a pipe runs under SHELL with -o pipefail', () => {
    let pipefail = false;
    for (const ins of instructions) {
      if (ins.keyword === 'SHELL') pipefail = (execForm(ins.args) ?? []).join(' ').includes('-o pipefail');
      if (ins.keyword === 'RUN' && /[^|]\|[^|]/.test(ins.args)) expect(pipefail, `line ${ins.line}`).toBe(true);
    }
  });

  it('DL3002/DL3003/DL3004/DL3020/DL4000: not root at the end, no cd, no sudo, COPY not ADD, no MAINTAINER', () => {
    expect(of('USER', finalIns).pop()?.args).not.toMatch(/^(root|0)(:|$)/);
    for (const run of runs) {
      expect(run).not.toMatch(/(^|&&|;)\s*cd\s/);
      expect(run).not.toMatch(/\bsudo\b/);
    }
    expect(of('ADD')).toEqual([]);
    expect(of('MAINTAINER')).toEqual([]);
  });
});

describe('Dockerfile: HEALTHCHECK on /healthz, run for real against a stand-in server', () => {
  const health = of('HEALTHCHECK').pop();
  const argv = execForm(options(health?.args ?? '').rest.replace(/^CMD\s+/, '')) ?? [];
  let status = 200;
  let seen = '';
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen = req.url ?? '';
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => { resolve(); })));

  const probe = async (): Promise<number> => {
    const [file, ...args] = argv;
    try {
      await promisify(execFile)(file === 'node' ? process.execPath : file ?? '', args, { env: { TUNNELWATCH_SERVER_LISTEN: `0.0.0.0:${String(port)}` }, timeout: 10_000 });
      return 0;
    } catch (error) {
      return (error as { code?: number }).code ?? -1;
    }
  };

  it('has tolerant timing: a start period, several retries, a timeout', () => {
    const { flags } = options(health?.args ?? '');
    expect(flags['start-period']).toBeDefined();
    expect(Number(flags.retries)).toBeGreaterThanOrEqual(3);
    expect(flags.timeout).toBeDefined();
    expect(argv[0]).toBe('node');
  });

  it('exits 0 when /healthz answers 200 and 1 when it does not', async () => {
    status = 200;
    expect(await probe()).toBe(0);
    expect(seen).toBe('/healthz');
    status = 503;
    expect(await probe()).toBe(1);
  });
});
