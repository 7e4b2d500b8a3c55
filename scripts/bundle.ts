// Bundles the compiled CLI (dist/src/cli/main.js) and the packages it imports into dist/bundle/, which
// bin/tunnelwatch runs. V8 keeps every module's source text on the heap and a record per module: the unbundled
// sidecar loads about 670 files and 3 MB of source. Bundled and minified it ran 5-7 MB lighter at rest
// (bench/sidecar-footprint) and started faster. Commands are still loaded when used: each dynamic import becomes
// its own chunk. Function and class names are kept (`keepNames`) for code that reads them; for readable stack
// traces run with NODE_OPTIONS=--enable-source-maps, which reads the maps written beside the chunks.
// Run after tsc: npm run build does both.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = 'dist/bundle';
// Chunk names carry content hashes: without this, chunks of earlier builds would pile up.
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: ['dist/src/cli/main.js'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  sourcemap: true,
  // The CommonJS packages inside call require() for Node's modules; an ES module has none of its own.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
