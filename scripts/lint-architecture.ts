// `npm run lint` step: reads every .ts file under src/ and fails on any breach of the layering (scripts/architecture.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkArchitecture } from './architecture.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const sources = new Map<string, string>();
for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
  const path = join(entry.parentPath, entry.name);
  sources.set(relative(root, path).split('\\').join('/'), readFileSync(path, 'utf8'));
}
const problems = checkArchitecture(sources);
for (const p of problems) console.error(`architecture: ${p}`);
if (problems.length > 0) process.exit(1);
console.log(`architecture: ${String(sources.size)} files, layering kept, no import cycle`);
