// GET /runbooks/<Name>.md: the runbooks and the causes page shipped with tunnelwatch, so the `runbook_url` of an
// alert and the runbook link of a cause resolve on the replica that raised them, with no site to publish.
// Only names of files in docs/runbooks are served; no path reaches outside it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyPluginCallback } from 'fastify';

const NAME = /^[A-Za-z0-9_-]+\.md$/;

export function runbookRoutes(dir: string): FastifyPluginCallback {
  return (app, _opts, done) => {
    app.get<{ Params: { name: string } }>('/runbooks/:name', async (request, reply) => {
      const { name } = request.params;
      const text = NAME.test(name) ? await readFile(join(dir, name), 'utf8').catch(() => undefined) : undefined;
      if (text === undefined) return reply.code(404).type('text/plain; charset=utf-8').send(`no runbook named ${JSON.stringify(name)}; the list: /runbooks/README.md\n`);
      // Markdown as text: every browser shows it, and the anchors of causes.md read as their headings.
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'max-age=300').send(text);
    });
    done();
  };
}
