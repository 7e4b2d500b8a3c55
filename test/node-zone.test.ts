// The zone init step for clusters before Kubernetes 1.33 (`tunnelwatch node-zone`) against a real HTTPS server
// answering as the API server does, and identity.zoneFile read by the sidecar.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchNodeZone, inClusterAccess, zoneOfNode, type ApiAccess } from '../src/collectors/node-zone.js';
import { loadSettings } from '../src/config/load.js';
import { withZoneFile } from '../src/sidecar/zone-file.js';
import { runCli } from './helpers/cli.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VydmljZS1hY2NvdW50.sa-token-never-printed';
const NODE = 'ip-10-0-1-17.eu-west-1.compute.internal';

let dir: string;
let saDir: string;
let server: Server;
let url: string;
/** What the stand-in API server answers for the next request: status and body, or silence. */
let answer: { status: number; body: string } | 'silent' = { status: 200, body: '{}' };
const seen: { path?: string; authorization?: string } = {};

const node = (labels: Record<string, string>): string => JSON.stringify({ kind: 'Node', apiVersion: 'v1', metadata: { name: NODE, labels } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tw-node-zone-'));
  saDir = join(dir, 'serviceaccount');
  mkdirSync(saDir);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(saDir, 'ca.crt')], { stdio: 'ignore' });
  writeFileSync(join(saDir, 'token'), `${TOKEN}\n`);
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(saDir, 'ca.crt')) }, (req, res) => {
    seen.path = req.url;
    seen.authorization = req.headers.authorization;
    if (answer === 'silent') return;
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const access = (): ApiAccess => {
  const a = inClusterAccess({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(url).port }, saDir);
  if (!('url' in a)) throw new Error(a.problem);
  return a;
};

describe('zoneOfNode', () => {
  it('reads topology.kubernetes.io/zone, else the deprecated failure-domain label', () => {
    expect(zoneOfNode(JSON.parse(node({ 'topology.kubernetes.io/zone': 'eu-west-1a', 'failure-domain.beta.kubernetes.io/zone': 'old' })), NODE)).toEqual({ ok: true, zone: 'eu-west-1a', label: 'topology.kubernetes.io/zone' });
    expect(zoneOfNode(JSON.parse(node({ 'failure-domain.beta.kubernetes.io/zone': 'us-central1-b' })), NODE)).toMatchObject({ ok: true, zone: 'us-central1-b' });
  });

  it('says what to do when the node has no zone, a value that is no label value, or the answer is no Node', () => {
    expect(zoneOfNode(JSON.parse(node({ 'kubernetes.io/os': 'linux' })), NODE)).toEqual({ ok: false, problem: `node ${NODE} has no topology.kubernetes.io/zone label`, fix: `the cloud provider sets it; elsewhere label each node: kubectl label node ${NODE} topology.kubernetes.io/zone=ZONE` });
    expect(zoneOfNode(JSON.parse(node({ 'topology.kubernetes.io/zone': 'a zone; rm -rf' })), NODE)).toMatchObject({ ok: false, problem: expect.stringContaining('not a label value') as string });
    expect(zoneOfNode({ items: [] }, NODE)).toMatchObject({ ok: false, problem: `the API answer for node ${NODE} is not a Node object` });
    expect(zoneOfNode(null, NODE).ok).toBe(false);
  });
});

describe('inClusterAccess', () => {
  it('outside a pod, names the variable and the way out', () => {
    expect(inClusterAccess({}, saDir)).toMatchObject({ ok: false, problem: 'KUBERNETES_SERVICE_HOST is not set, so this is not a Kubernetes pod' });
  });

  it('without a mounted token, says where it looked and how to mount one in the init container only', () => {
    const a = inClusterAccess({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }, join(dir, 'absent'));
    expect(a).toMatchObject({ ok: false, problem: `no service account token and CA in ${join(dir, 'absent')} (ENOENT)`, fix: expect.stringContaining('init container only') as string });
  });

  it('brackets an IPv6 service address and defaults to port 443', () => {
    expect(inClusterAccess({ KUBERNETES_SERVICE_HOST: 'fd00:10:96::1' }, saDir)).toMatchObject({ url: 'https://[fd00:10:96::1]:443', token: TOKEN });
  });
});

describe('fetchNodeZone against an HTTPS API server', () => {
  it('asks for its own node with the service account token, trusting only the mounted CA', async () => {
    answer = { status: 200, body: node({ 'topology.kubernetes.io/zone': 'eu-west-1b' }) };
    expect(await fetchNodeZone(access(), NODE)).toEqual({ ok: true, zone: 'eu-west-1b', label: 'topology.kubernetes.io/zone' });
    expect(seen).toEqual({ path: `/api/v1/nodes/${NODE}`, authorization: `Bearer ${TOKEN}` });
    const otherCa = { ...access(), ca: Buffer.from('') };
    expect(await fetchNodeZone(otherCa, NODE)).toMatchObject({ ok: false, problem: expect.stringMatching(/^cannot ask https:\/\/127\.0\.0\.1:\d+ for node .*: self.signed certificate/) as string });
  });

  it.each([
    [401, 'the API server did not accept the service account token (401)', 'projected token'],
    [403, `the service account may not get node ${NODE} (403)`, 'ClusterRole allowing get on nodes'],
    [404, `node "${NODE}" does not exist (404)`, 'spec.nodeName'],
    [500, `the API server answered 500 for node ${NODE}`, 'events and logs'],
  ])('answer %i: %s', async (status, problem, fix) => {
    answer = { status, body: JSON.stringify({ kind: 'Status', code: status }) };
    expect(await fetchNodeZone(access(), NODE)).toEqual({ ok: false, problem, fix: expect.stringContaining(fix) as string });
  });

  it('an answer that is not JSON, and a server that never answers, are problems, not exceptions', async () => {
    answer = { status: 200, body: '<html>proxy login</html>' };
    expect(await fetchNodeZone(access(), NODE)).toMatchObject({ ok: false, problem: `the API answer for node ${NODE} is not JSON` });
    answer = 'silent';
    expect(await fetchNodeZone(access(), NODE, 200)).toMatchObject({ ok: false, problem: expect.stringContaining('no answer in 200 ms') as string });
  });
});

describe('tunnelwatch node-zone', () => {
  const env = (): NodeJS.ProcessEnv => ({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(url).port, NODE_NAME: NODE });

  it('writes the zone of $NODE_NAME to --out', async () => {
    answer = { status: 200, body: node({ 'topology.kubernetes.io/zone': 'eu-west-1c' }) };
    const out = join(dir, 'zone');
    const run = await runCli(['node-zone', '--out', out, '--service-account-dir', saDir], { env: env() });
    expect(run).toEqual({ code: 0, stdout: `tunnelwatch node-zone: node ${NODE} is in zone eu-west-1c (label topology.kubernetes.io/zone); written to ${out}\n`, stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe('eu-west-1c\n');
  });

  it('when the zone cannot be read, leaves the file empty, says why and still exits 0; the token is never printed', async () => {
    answer = { status: 403, body: '{}' };
    const out = join(dir, 'zone-forbidden');
    writeFileSync(out, 'stale-zone\n');
    const run = await runCli(['node-zone', '--out', out, '--service-account-dir', saDir], { env: env() });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`tunnelwatch node-zone: the service account may not get node ${NODE} (403); bind it to a ClusterRole allowing get on nodes (the zone-from-node component's tunnelwatch-node-reader). ${out} is left empty: tunnelwatch starts without the zone label and warns\n`);
    expect(readFileSync(out, 'utf8')).toBe('');
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('usage: --out and a node are required, --api-server must be https; an unwritable --out exits 1', async () => {
    expect((await runCli(['node-zone', '--node', NODE], { env: env() })).stderr).toMatch(/^tunnelwatch node-zone: --out FILE is required/);
    expect((await runCli(['node-zone', '--out', join(dir, 'z')], { env: {} })).code).toBe(2);
    expect((await runCli(['node-zone', '--out', join(dir, 'z'), '--node', NODE, '--api-server', 'http://10.0.0.1'])).code).toBe(2);
    answer = { status: 200, body: node({ 'topology.kubernetes.io/zone': 'eu-west-1a' }) };
    const run = await runCli(['node-zone', '--out', join(dir, 'no-such-dir', 'zone'), '--service-account-dir', saDir], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^tunnelwatch node-zone: cannot write .*no-such-dir\/zone: .*; mount a writable volume there/);
  });
});

describe('identity.zoneFile', () => {
  const settingsWith = (sets: string[]) => {
    const result = loadSettings({ env: {}, sets });
    if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
    return result.settings;
  };

  it('gives the zone when identity.zone is empty; a zone set directly wins', () => {
    const file = join(dir, 'zone-ok');
    writeFileSync(file, 'eu-west-1a\n');
    expect(withZoneFile(settingsWith([`identity.zoneFile=${file}`]))).toMatchObject({ settings: { identity: { zone: 'eu-west-1a' } } });
    expect(withZoneFile(settingsWith([`identity.zoneFile=${file}`])).warning).toBeUndefined();
    const direct = withZoneFile(settingsWith([`identity.zoneFile=${file}`, 'identity.zone=us-east-1d']));
    expect(direct.settings.identity.zone).toBe('us-east-1d');
    expect(direct.warning).toBeUndefined();
  });

  it('a missing, empty or malformed file leaves the zone unset with a warning that says why', () => {
    const empty = join(dir, 'zone-empty');
    writeFileSync(empty, '\n');
    const bad = join(dir, 'zone-bad');
    writeFileSync(bad, '<html>\n');
    const missing = join(dir, 'zone-missing');
    const read = (file: string) => withZoneFile(settingsWith([`identity.zoneFile=${file}`]));
    expect(read(empty).warning).toBe(`identity.zoneFile ${empty} is empty: the node-zone init step could not read the node's zone, and its log says why (kubectl logs POD -c node-zone); the zone label stays empty (TunnelReplicasSameZone cannot see this replica's zone)`);
    expect(read(bad).warning).toMatch(/holds "<html>", not a zone label value/);
    expect(read(missing).warning).toMatch(/does not exist; check the path; the node-zone init container writes it/);
    for (const file of [empty, bad, missing]) expect(read(file).settings.identity.zone).toBeUndefined();
  });
});
