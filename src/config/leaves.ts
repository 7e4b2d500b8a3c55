import * as z from 'zod';
import { leafKinds, type LeafKind } from './fields.js';
import { settingsSchema } from './schema.js';

/** One settable value of the settings tree, with the names it has in each source. */
export interface Leaf {
  /** Path segments, e.g. ['cloudflared', 'haConnections']. */
  readonly path: readonly string[];
  /** Dotted path as written in `--set` and in error messages: `cloudflared.haConnections`. */
  readonly dotted: string;
  /** Environment variable: `TUNNELWATCH_CLOUDFLARED_HA_CONNECTIONS`. */
  readonly env: string;
  readonly kind: LeafKind;
  readonly values?: readonly string[];
}

const ENV_PREFIX = 'TUNNELWATCH_';

function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (!leafKinds.has(current)) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodPrefault || current instanceof z.ZodDefault) {
      current = current.unwrap() as z.ZodType;
    } else {
      break;
    }
  }
  return current;
}

function collect(schema: z.ZodType, path: readonly string[], out: Leaf[]): void {
  const inner = unwrap(schema);
  const meta = leafKinds.get(inner);
  if (meta) {
    const dotted = path.join('.');
    out.push({ path, dotted, env: envName(path), ...meta });
    return;
  }
  if (inner instanceof z.ZodObject) {
    const shape: Record<string, z.ZodType> = inner.shape;
    for (const [key, child] of Object.entries(shape)) {
      collect(child, [...path, key], out);
    }
    return;
  }
  // Schemas without a registered kind (e.g. edge.accountId) are plain strings from env and flags.
  out.push({ path, dotted: path.join('.'), env: envName(path), kind: 'string' });
}

function buildLeaves(): readonly Leaf[] {
  const out: Leaf[] = [];
  collect(settingsSchema, [], out);
  return out;
}

/** Every leaf of the settings schema, in schema order. */
export const LEAVES: readonly Leaf[] = buildLeaves();

export const LEAF_BY_ENV: ReadonlyMap<string, Leaf> = new Map(LEAVES.map((l) => [l.env, l]));
export const LEAF_BY_DOTTED: ReadonlyMap<string, Leaf> = new Map(LEAVES.map((l) => [l.dotted, l]));
export { ENV_PREFIX };
