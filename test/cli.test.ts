import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, runBin, runCli } from './helpers/cli.js';
import { isGone, poll } from './helpers/run-process.js';

const GOOD = 'examples/cloudflared/config.yml';
const BAD = 'examples/cloudflared/config-with-problems.yml';

function tempFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tw-cli-')), name);
  writeFileSync(path, text);
  return path;
}

describe('tunnelwatch (built executable)', () => {
  it('prints help right after the build, with exit 0', async () => {
    const run = await runBin(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: tunnelwatch <command>');
  });

  it('exits 2 with usage for no command or an unknown one', async () => {
    expect((await runBin([])).code).toBe(2);
    const run = await runBin(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "frobnicate"');
  });

  it('validate: 0 for a valid config, 1 for an invalid one', async () => {
    const good = await runBin(['validate', '--config', GOOD]);
    expect(good).toMatchObject({ code: 0, stdout: `${GOOD}: OK (0 errors, 0 warnings)\n` });
    const bad = await runBin(['validate', '--config', BAD]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('TW_ERR_INGRESS_SERVICE_NO_SCHEME_OR_HOST at ingress[2].service');
    expect(bad.stdout).toContain('localhost:9000 is an invalid address, please make sure it has a scheme and a hostname');
  });
});

describe('validate', () => {
  it('prints JSON with --json', async () => {
    const run = await runCli(['validate', '--config', BAD, '--json']);
    const out = JSON.parse(run.stdout) as { valid: boolean; cloudflared: { file: string; diagnostics: { code: string }[] } };
    expect(run.code).toBe(1);
    expect(out.valid).toBe(false);
    expect(out.cloudflared.diagnostics.map((d) => d.code)).toContain('TW_WARN_INGRESS_UNREACHABLE_RULE');
  });

  it('checks tunnelwatch settings too, and takes the config path from them', async () => {
    const settings = tempFile('tw.yaml', `cloudflared:\n  config: ${GOOD}\n`);
    const run = await runCli(['validate', '--settings', settings]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${GOOD}: OK`);
    expect(run.stdout).toContain(`${settings}: OK`);
  });

  it('fails on bad settings even when the cloudflared config is fine', async () => {
    const settings = tempFile('tw.yaml', 'alerts:\n  rules:\n    - alert: TunnelHALost\n      for: soon\n');
    const run = await runCli(['validate', '--config', GOOD, '--settings', settings]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('alerts.rules[0].for: got "soon", expected a duration');
  });

  it('never prints a token from the settings', async () => {
    const token = 'eyJhIjoiMDEyMzQ1NiIsInQiOiJzZWNyZXQtdHVubmVsIiwicyI6InNlY3JldCJ9';
    const run = await runCli(['validate', '--config', GOOD, '--set', 'cloudflared.token=x', '--set', `edge.apiToken=${token}`]);
    expect(run.stdout + run.stderr).not.toContain(token);
    expect(run.code).toBe(1);
  });

  it('exits 1 for an unreadable file and 2 for usage errors', async () => {
    expect((await runCli(['validate', '--config', '/nonexistent.yml'])).code).toBe(1);
    expect((await runCli(['validate', 'config.yml'])).code).toBe(2);
    expect((await runCli(['validate', '--bogus'])).code).toBe(2);
  });
});

describe('ingress match', () => {
  it.each([
    ['https://app.example.com/', 'Matched rule #0\n\thostname: app.example.com\n\tservice: http://localhost:8080\n'],
    ['https://api.example.com/v1/orders?x=1', 'Matched rule #1\n\thostname: api.example.com\n\tpath: ^/v1/\n\tservice: https://10.0.0.7:9443\n'],
    ['https://api.example.com/v2/orders', 'Matched rule #4\n\tservice: http_status:404\n'],
    ['https://a.b.preview.example.com:8443/', 'Matched rule #2\n\thostname: *.preview.example.com\n\tservice: http://localhost:8081\n'],
    ['https://preview.example.com/', 'Matched rule #4\n\tservice: http_status:404\n'],
  ])('%s', async (url, expected) => {
    const run = await runCli(['ingress', 'match', '--config', GOOD, url]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`Using rules from ${GOOD}\n${expected}`);
  });

  it('refuses an invalid config like cloudflared (Validation failed, exit 1)', async () => {
    const run = await runCli(['ingress', 'match', '--config', BAD, 'https://app.example.com/']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Validation failed');
  });

  it('explains a URL without a host', async () => {
    const run = await runCli(['ingress', 'match', '--config', GOOD, 'app.example.com']);
    expect(run).toMatchObject({ code: 1, stderr: "tunnelwatch ingress match: app.example.com doesn't have a hostname, consider adding a scheme\n" });
  });

  it('needs `match URL`', async () => {
    expect((await runCli(['ingress', '--config', GOOD])).code).toBe(2);
  });
});

describe('settings', () => {
  it('prints effective settings with secrets hidden and the env table', async () => {
    const run = await runCli(['settings'], { env: { TUNNELWATCH_CLOUDFLARED_TOKEN: 'very-secret-token-value' } });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"token": "<secret>"');
    expect(run.stdout).not.toContain('very-secret-token-value');
    expect(run.stdout).toContain('TUNNELWATCH_CLOUDFLARED_HA_CONNECTIONS');
  });

  it('masks a value shaped like a token wherever it stands', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0dW5uZWwifQ.c2lnbmF0dXJlLXZhbHVl';
    const run = await runCli(['settings', '--set', `cloudflared.extraArgs=--loglevel,debug,--label,${jwt}`]);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain(jwt);
    expect(run.stdout).toContain('<redacted>');
  });

  it.each([
    ['--token,VALUE', 0, '--token'],
    ['--token=VALUE', 0, '--token'],
    ['--no-autoupdate,-token,VALUE', 1, '--token'],
    ['--credentials-contents=VALUE', 0, '--credentials-contents'],
  ])('refuses a secret on cloudflared\'s command line: %s', async (args, index, flag) => {
    const secret = 'eyJhIjoiMDEyMzQ1Njc4OWFiY2RlZiJ9-abcdef0123456789';
    const run = await runCli(['settings', '--set', `cloudflared.extraArgs=${args.replace('VALUE', secret)}`]);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).not.toContain(secret);
    expect(run.stderr).toContain(`cloudflared.extraArgs[${String(index)}]: got "<secret>", ${flag} would put a secret on cloudflared's command line`);
    expect(run.stderr).toMatch(/use (cloudflared\.token or cloudflared\.tokenFile|a credentials file)/);
  });
});

describe('demo (built executable, real child processes)', () => {
  it('runs tunnelwatch on the emulated tunnel: connector healthy, the dead origin down, the edge agreeing; stops cleanly', async () => {
    const run = await runBin(['demo', '--for', '0s', '--time-scale', '0.05', '--listen', '127.0.0.1:0']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('connector: healthy, 4 of 4 connections registered');
    expect(run.stdout).toContain('origin app.demo.example: up');
    expect(run.stdout).toMatch(/origin dead\.demo\.example: down \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
    expect(run.stdout).toContain('tunnel demo-tunnel is healthy, 2 connectors; tunnelwatch sees healthy');
    expect(run.stdout).toMatch(/GET https:\/\/app\.demo\.example\/ via replica-1: 200\n/);
    expect(run.stdout).toMatch(/GET https:\/\/dead\.demo\.example\/ via replica-1: 502\n/);
    expect(run.stdout).toMatch(/status page {5}http:\/\/127\.0\.0\.1:\d+\//);
    expect(run.stdout).toContain('Stopped (exit code 0)');
    expect(run.stdout).not.toMatch(/eyJhIjoi/);
  });

  it('rejects a bad --for', async () => {
    expect((await runCli(['demo', '--for', 'soon'])).code).toBe(2);
  });

  it('stops on SIGTERM during its start-up checks, leaving no emulated cloudflared behind', async () => {
    const child = spawn(process.execPath, [BIN, 'demo', '--listen', '127.0.0.1:0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    const closed = new Promise<string>((resolve) => child.once('close', (code, signal) => { resolve(`code ${String(code)}, signal ${String(signal)}`); }));
    // The addresses are printed once everything runs, before the checks wait for the connector to be healthy.
    await poll(() => (/records {9}(\S+)/.test(stdout) ? true : undefined), 'the demo printing where its records go', 30_000);
    child.kill('SIGTERM');
    expect(await closed, stdout).toBe('code 0, signal null');
    expect(stdout).not.toContain('Running; press Ctrl-C to stop.');
    expect(stdout).toContain('Stopped (exit code 0)');
    const records = readFileSync(/records {9}(\S+)/.exec(stdout)?.[1] ?? '', 'utf8');
    const pids = [...records.matchAll(/cloudflared started \(pid (\d+)/g), ...stdout.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThanOrEqual(2);
    for (const pid of pids) expect(isGone(pid), `pid ${String(pid)} gone`).toBe(true);
  });
});
