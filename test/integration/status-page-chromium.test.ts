import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.js';
import { NOW, fixtureRegistry, healthySnapshot } from '../helpers/health-snapshots.js';

// The real status page in real headless Chromium (Debian package `chromium`): it must render without scripts
// or external assets. The screenshot stays in artifacts/ for people to look at.
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../artifacts/', import.meta.url));
const SCREENSHOT = join(ARTIFACTS, 'status-page.png');
const run = promisify(execFile);

let app: FastifyInstance;
let url = '';
let profile = '';

beforeAll(async () => {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(`${CHROMIUM} not found: install the Debian package chromium (apt-get install chromium) to run this test`);
  }
  profile = await mkdtemp(join(tmpdir(), 'tw-chromium-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  app = buildServer({ snapshot: healthySnapshot, registry: fixtureRegistry(), server: { listen: '127.0.0.1:0', readyRequiresOrigins: false }, now: () => NOW });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  // Chromium's helper processes can still be writing the profile after the browser exits: rm retries ENOTEMPTY.
  await rm(profile, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
});

/** Runs headless Chromium on the page; execFile (not spawnSync) so this process keeps serving it. */
async function chromium(...args: string[]): Promise<string> {
  const flags = ['--headless=new', '--no-sandbox', '--disable-gpu', `--user-data-dir=${profile}`, '--window-size=1280,900', ...args, `${url}/`];
  const { stdout } = await run(CHROMIUM, flags, { timeout: 45_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

describe('status page in Chromium', () => {
  it('shows the state, the down origin and its reason', async () => {
    const dom = await chromium('--dump-dom');
    const text = dom.replace(/<style>[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text).toContain('tunnelwatch connector healthy service degraded Connector healthy for 42m');
    expect(text).toContain('lax01 × 2 sjc01 × 2');
    expect(text).toContain('rule1:http://api:9000 api.example.com http://api:9000 down connect ECONNREFUSED 10.0.0.7:9000');
  });

  it('renders a screenshot into artifacts/status-page.png', async () => {
    await rm(SCREENSHOT, { force: true });
    await chromium(`--screenshot=${SCREENSHOT}`);
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(10 * 1024);
  });
});
