// The layering of src/ (docs/architecture.md), checked: each top-level folder may import only from folders in a
// lower layer (siblings in one layer stay independent), no import cycle between files, type imports included,
// and a folder (at any depth) with an index.ts is entered only through it, except by import() (lazy loading). Pure: files in, problems out (scripts/lint-architecture.ts
// reads the tree).
import { dirname, join, normalize } from 'node:path/posix';

/** Lowest first. A folder may import from any folder in an earlier row. */
export const LAYERS: readonly (readonly string[])[] = [
  ['base', 'go'],
  ['cloudflared'],
  ['config'],
  ['state'],
  ['diagnosis'],
  ['analysis', 'telemetry'],
  ['supervisor', 'probers'],
  ['collectors'],
  ['alerts', 'doctor', 'incidents'],
  ['server'],
  ['emulator'],
  ['sidecar'],
  ['cli'],
];

const LAYER_OF = new Map(LAYERS.flatMap((row, i) => row.map((folder) => [folder, i] as const)));

export interface Import {
  readonly from: string;
  readonly to: string;
  /** `import()`: loaded on demand, so it may reach past a folder's index.ts (which would load it eagerly). */
  readonly dynamic: boolean;
}

// Static imports and re-exports (type-only ones too) and dynamic import() of relative paths.
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** The relative imports of one file, resolved to paths under src/ (`.js` specifiers name `.ts` files). */
export function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec === undefined) continue;
    out.push({ from: file, to: normalize(join(dirname(file), spec.replace(/\.js$/, '.ts'))), dynamic: m[2] !== undefined });
  }
  return out;
}

/** `src/<folder>/...` → folder; undefined for a file directly in src/. */
const folderOf = (file: string): string | undefined => {
  const parts = file.split('/');
  return parts.length > 2 ? parts[1] : undefined;
};

/** The index.ts `from` must import `to` through: that of the outermost folder holding `to` but not `from`. */
function faceOf(to: string, from: string, faces: ReadonlySet<string>): string | undefined {
  const parts = to.split('/');
  for (let depth = 2; depth < parts.length; depth++) {
    const folder = parts.slice(0, depth).join('/');
    if (from.startsWith(`${folder}/`)) continue;
    if (faces.has(`${folder}/index.ts`)) return `${folder}/index.ts`;
  }
  return undefined;
}

function cycles(files: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[][] {
  // Tarjan's strongly connected components; any component of two or more files is a cycle.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
      onStack.delete(w);
      component.push(w);
    }
    if (component.length > 1) found.push(component.sort());
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

/** Every breach of the layering, as a sentence naming the files and the fix. */
export function checkArchitecture(sources: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const files = [...sources.keys()].sort();
  const faces = new Set(files.filter((f) => f.endsWith('/index.ts')));
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const folder = folderOf(file);
    const layer = folder === undefined ? undefined : LAYER_OF.get(folder);
    if (layer === undefined) {
      problems.push(`${file}: not in a layered folder; put it in one of src/{${[...LAYER_OF.keys()].join(',')}} or add its folder to LAYERS in scripts/architecture.ts and docs/architecture.md`);
      continue;
    }
    const imports = importsOf(file, sources.get(file) ?? '').filter((i) => i.to.startsWith('src/'));
    edges.set(file, imports.map((i) => i.to).filter((to) => sources.has(to)));
    for (const { to } of imports) {
      const target = folderOf(to);
      if (target === undefined || target === folder) continue;
      const targetLayer = LAYER_OF.get(target);
      if (targetLayer !== undefined && targetLayer >= layer) {
        problems.push(`${file} imports ${to}: src/${folder} may not import src/${target} (${targetLayer === layer ? 'same layer' : 'a higher layer'}); move what both need down a layer, or pass it in`);
      }
    }
    for (const { to, dynamic } of imports) {
      const face = dynamic ? undefined : faceOf(to, file, faces);
      if (face !== undefined && to !== face) {
        problems.push(`${file} imports ${to}: ${dirname(face)} is entered through its index.ts; import from there (export the name there if it is missing)`);
      }
    }
  }
  for (const cycle of cycles(files, edges)) problems.push(`import cycle: ${cycle.join(' → ')}; move what they share into a file both import`);
  return problems;
}
