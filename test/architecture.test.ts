import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkArchitecture, importsOf, LAYERS } from '../scripts/architecture.js';

const tree = (files: Record<string, string>): Map<string, string> => new Map(Object.entries(files));

describe('the layering check (npm run lint)', () => {
  it('reads static, type-only, re-export and dynamic imports, resolved under src/', () => {
    const text = "import { a } from './a.js';\nimport type { B } from '../state/b.js';\nexport { c } from './c/index.js';\nconst d = await import('../cli/d.js');\nimport './side.js';\nimport { x } from 'node:fs';";
    expect(importsOf('src/telemetry/t.ts', text).map((i) => i.to)).toEqual(['src/telemetry/a.ts', 'src/state/b.ts', 'src/telemetry/c/index.ts', 'src/cli/d.ts', 'src/telemetry/side.ts']);
  });

  it('accepts imports downwards and within a folder', () => {
    expect(checkArchitecture(tree({ 'src/state/s.ts': "import { c } from '../cloudflared/c.js';", 'src/cloudflared/c.ts': "import { d } from './d.js';", 'src/cloudflared/d.ts': '' }))).toEqual([]);
  });

  it('refuses an upward import and an import between siblings of one layer, naming the files', () => {
    const problems = checkArchitecture(
      tree({ 'src/state/s.ts': "import type { T } from '../telemetry/t.js';", 'src/telemetry/t.ts': "import { a } from '../analysis/a.js';", 'src/analysis/a.ts': '' }),
    );
    expect(problems).toEqual([
      'src/state/s.ts imports src/telemetry/t.ts: src/state may not import src/telemetry (a higher layer); move what both need down a layer, or pass it in',
      'src/telemetry/t.ts imports src/analysis/a.ts: src/telemetry may not import src/analysis (same layer); move what both need down a layer, or pass it in',
    ]);
  });

  it('finds a cycle, type-only imports included', () => {
    const problems = checkArchitecture(tree({ 'src/state/a.ts': "import type { B } from './b.js';", 'src/state/b.ts': "import { c } from './c.js';", 'src/state/c.ts': "import { a } from './a.js';" }));
    expect(problems).toEqual(['import cycle: src/state/a.ts → src/state/b.ts → src/state/c.ts; move what they share into a file both import']);
  });

  it('makes a folder with an index.ts its only entrance, and places every file in a layer', () => {
    const problems = checkArchitecture(
      tree({ 'src/collectors/c.ts': "import { p } from '../probers/http.js';", 'src/probers/index.ts': "export { p } from './http.js';", 'src/probers/http.ts': '', 'src/loose.ts': '' }),
    );
    expect(problems).toEqual([
      'src/collectors/c.ts imports src/probers/http.ts: src/probers is entered through its index.ts; import from there (export the name there if it is missing)',
      `src/loose.ts: not in a layered folder; put it in one of src/{${LAYERS.flat().join(',')}} or add its folder to LAYERS in scripts/architecture.ts and docs/architecture.md`,
    ]);
  });

  it('applies to folders at any depth, and lets import() reach inside (lazy loading)', () => {
    const problems = checkArchitecture(
      tree({
        'src/state/s.ts': "import { e } from '../cloudflared/log/event.js';\nconst lazy = await import('../cloudflared/log/event.js');",
        'src/cloudflared/log/index.ts': "export { e } from './event.js';",
        'src/cloudflared/log/event.ts': '',
        'src/cloudflared/config/file.ts': "import { e } from '../log/index.js';",
      }),
    );
    expect(problems).toEqual([
      'src/state/s.ts imports src/cloudflared/log/event.ts: src/cloudflared/log is entered through its index.ts; import from there (export the name there if it is missing)',
    ]);
  });

  it('is the layering docs/architecture.md describes, row by row', () => {
    const doc = readFileSync(new URL('../docs/architecture.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| (\d+) \| ([^|]+) \|/gm)].map((m) => [...(m[2] ?? '').matchAll(/`([a-z]+)`/g)].map((f) => f[1]));
    expect(rows).toEqual(LAYERS);
  });
});
