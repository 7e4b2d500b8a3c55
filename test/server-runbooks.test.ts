import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILTIN_ALERTS } from '../src/alerts/catalogue.js';
import { runbookBaseUrl } from '../src/config/index.js';
import { settingsSchema } from '../src/config/schema.js';
import { buildServer } from '../src/server/app.js';
import { fixtureRegistry, healthySnapshot } from './helpers/health-snapshots.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function serve(): FastifyInstance {
  app = buildServer({ snapshot: healthySnapshot, registry: fixtureRegistry(), server: { listen: '0.0.0.0:9464', readyRequiresOrigins: false }, now: () => 0 });
  return app;
}

describe('GET /runbooks/<Name>.md', () => {
  it.each([...new Set(BUILTIN_ALERTS.map((d) => d.alert)), 'causes', 'README'])('serves docs/runbooks/%s.md as written, without a token', async (name) => {
    const res = await serve().inject({ url: `/runbooks/${name}.md` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe(readFileSync(new URL(`../docs/runbooks/${name}.md`, import.meta.url), 'utf8'));
  });

  it.each(['nosuch.md', '..%2Fpackage.json', '..%2F..%2Fpackage.json.md', '%2Fetc%2Fpasswd', 'README.txt'])('answers 404 for %s, naming the list', async (name) => {
    const res = await serve().inject({ url: `/runbooks/${name}` });
    expect(res.statusCode).toBe(404);
    expect(res.body).toMatch(/^no runbook named .*; the list: \/runbooks\/README\.md\n$/);
  });
});

describe('runbook links', () => {
  const settings = (v: object) => settingsSchema.parse(v);
  it('point at the runbooks this replica serves by default: <externalUrl>/runbooks', () => {
    expect(runbookBaseUrl(settings({}))).toBe('http://0.0.0.0:9464/runbooks');
    expect(runbookBaseUrl(settings({ server: { listen: '127.0.0.1:9330' } }))).toBe('http://127.0.0.1:9330/runbooks');
    expect(runbookBaseUrl(settings({ alerts: { externalUrl: 'https://tw-a.example/' } }))).toBe('https://tw-a.example/runbooks');
  });

  it('follow alerts.runbookBaseUrl when it is set', () => {
    expect(runbookBaseUrl(settings({ alerts: { runbookBaseUrl: 'https://wiki.example/runbooks/', externalUrl: 'https://tw-a.example' } }))).toBe('https://wiki.example/runbooks');
  });
});
