// End to end: known secrets (API token, Loki password, status-page token, and the tunnel token the emulated
// world made) are pushed into what the connector logs — visitor request paths land in its `Request failed`
// lines — and must then be found in no sink: stdout, stderr, Loki pushes, spool files, the quarantine
// file, nor the connector's argv. The Loki password may appear only as the Basic auth header Loki needs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runBin } from './helpers/cli.js';
import { poll, runEnv, steadyLoad, trackedProcesses } from './helpers/run-process.js';

const p = trackedProcesses();

const API_TOKEN = 'apiTok3nQv8ZpLm2XwR7tN4bY';
const LOKI_USER = 'tw-shipper';
const LOKI_PASSWORD = 'lokiPw9Hc4Jd7Ks2Ln5Mq8';
const SERVER_TOKEN = 'srvAuth6Tg3Wf8Ye1Ud4Ic7';
const SECRET_ENV = {
  TUNNELWATCH_EDGE_API_TOKEN: API_TOKEN,
  CLOUDFLARE_API_TOKEN: API_TOKEN,
  TUNNELWATCH_LOGS_LOKI_USERNAME: LOKI_USER,
  TUNNELWATCH_LOGS_LOKI_PASSWORD: LOKI_PASSWORD,
  TUNNELWATCH_SERVER_AUTH_TOKEN: SERVER_TOKEN,
};

/** The text of every file under `dir`, recursively. */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath, e.name);
      return { path, text: readFileSync(path, 'utf8') };
    });
}

/** The value of one variable in /proc/<pid>/environ (readable: the tests run as the same user). */
function environ(pid: number, name: string): string | undefined {
  const entry = readFileSync(`/proc/${String(pid)}/environ`, 'utf8').split('\0').find((e) => e.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

it('finds no configured secret or tunnel token in any sink, argv or error text', { timeout: 40_000 }, async () => {
  const fake = await p.fakeLoki();
  const spool = p.tempDir('tw-e2e-secrets-');
  const run = p.run(
    runEnv(spool, fake.base, {
      ...SECRET_ENV,
      // An API token needs its account; the base URL points nowhere so no real API is ever asked.
      TUNNELWATCH_EDGE_ACCOUNT_ID: 'd3b07384d113edec49eaa6238ad5ff00',
      TUNNELWATCH_EDGE_BASE_URL: 'http://127.0.0.1:9/client/v4',
    }),
  );
  const { edge } = await run.ports();
  await run.registered();
  const connector = await run.connectorPid();
  const tunnelToken = environ(connector, 'TUNNEL_TOKEN') ?? '';
  expect(tunnelToken.length).toBeGreaterThan(20);
  const secrets = { API_TOKEN, LOKI_PASSWORD, SERVER_TOKEN, tunnelToken };

  // argv never carries a secret; the connector's environment carries the tunnel token and nothing else secret.
  const argv = readFileSync(`/proc/${String(connector)}/cmdline`, 'utf8');
  const env = readFileSync(`/proc/${String(connector)}/environ`, 'utf8');
  for (const [name, value] of Object.entries(secrets)) {
    expect(argv, `${name} on the connector's argv`).not.toContain(value);
    if (name !== 'tunnelToken') expect(env, `${name} in the connector's environment`).not.toContain(value);
  }

  // One line that carries a secret is rejected by Loki, so the quarantine file gets a copy too.
  await fake.post('/reject', '/marker-api/');
  const paths = [
    `/marker-api/${API_TOKEN}`,
    `/marker-loki/${LOKI_PASSWORD}`,
    `/marker-server/${SERVER_TOKEN}`,
    `/marker-tunnel/${tunnelToken}`,
    `/marker-query?api_key=${API_TOKEN}&password=${LOKI_PASSWORD}`,
  ];
  await steadyLoad(edge, paths.length, 0, (i) => paths[i] ?? '/');
  const failed = (): number => run.records.filter((r) => r.msg === 'Request failed').length;
  await run.until(() => (failed() >= paths.length ? true : undefined), 'the Request failed lines');
  const quarantine = join(spool, 'loki-quarantine.jsonl');
  await poll(() => (filesUnder(spool).some((f) => f.path === quarantine) ? true : undefined), 'the quarantine file');
  // Every other marker line reached Loki (the four marker paths besides the rejected one).
  await poll(async () => ((JSON.stringify(await fake.received()).match(/marker-/g) ?? []).length >= paths.length - 1 ? true : undefined), 'marker lines in Loki');

  run.child.kill('SIGTERM');
  await run.closed;

  const received = JSON.stringify(await fake.received());
  const requests = await fake.requests();
  const sinks: Record<string, string> = {
    stdout: run.stdout,
    stderr: run.stderr,
    'Loki pushes': received,
    'Loki request log': JSON.stringify(requests.map((r) => ({ ...r, authorization: null }))),
    ...Object.fromEntries(filesUnder(spool).map((f) => [f.path, f.text])),
  };
  // The test is only worth something if the lines that carried the secrets did reach every sink.
  expect(run.stdout).toContain('/marker-loki/<redacted>');
  expect(received).toContain('/marker-tunnel/<redacted>');
  expect(sinks[quarantine]).toContain('/marker-api/<redacted>');
  for (const [sink, text] of Object.entries(sinks)) {
    for (const [name, value] of Object.entries(secrets)) expect(text, `${name} in ${sink}`).not.toContain(value);
  }
  // The one place the Loki password may travel: the Basic auth header of each push.
  const basic = `Basic ${Buffer.from(`${LOKI_USER}:${LOKI_PASSWORD}`).toString('base64')}`;
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.every((r) => r.authorization === basic)).toBe(true);
});

it('names secret settings in its errors but never shows their values', async () => {
  // An API token without its account is a settings conflict: the error must name the setting, not its value.
  const result = await runBin(['run', '--cloudflared', 'emulator'], { env: { ...SECRET_ENV, TUNNELWATCH_LOGS_LOKI_URL: 'http://127.0.0.1:9' } });
  expect(result.code).not.toBe(0);
  expect(result.stderr).toContain('edge.apiToken');
  for (const value of [API_TOKEN, LOKI_PASSWORD, SERVER_TOKEN]) expect(result.stdout + result.stderr).not.toContain(value);
});
