// The HTTP server without fastify's schema compilers (src/server/app.ts): its routes declare no schemas, so Ajv and
// fast-json-stringify must never load. In a fresh Node process so the module cache is this server's alone.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

const SCRIPT = `
import { createRequire } from 'node:module';
const { buildServer } = await import('./dist/src/server/app.js');
const require = createRequire(import.meta.url);
const { Registry } = require('prom-client');
const app = buildServer({ snapshot: () => undefined, registry: new Registry(), server: { listen: '127.0.0.1:0', readyRequiresOrigins: false } });
await app.ready();
const metrics = await app.inject({ method: 'GET', url: '/metrics' });
const missing = await app.inject({ method: 'GET', url: '/nowhere' });
// fastify's own error serializer (fast-json-stringify/lib/serializer.js, two small files) is prebuilt and stays.
const compilers = Object.keys(require.cache).filter((f) => /\\/(ajv|ajv-formats|ajv-compiler|fast-json-stringify-compiler)\\/|fast-json-stringify\\/index\\.js/.test(f)).length;
console.log(JSON.stringify({ metrics: metrics.statusCode, missing: missing.statusCode, missingBody: missing.json(), compilers }));
await app.close();`;

describe('the HTTP server', () => {
  it('serves its routes and answers an unknown path without loading a schema compiler', () => {
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { cwd: ROOT, encoding: 'utf8' })) as Record<string, unknown>;
    expect(out).toMatchObject({ metrics: 200, missing: 404, compilers: 0 });
    expect(out.missingBody).toMatchObject({ statusCode: 404 });
  });
});
