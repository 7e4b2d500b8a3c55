import { maskUrlPasswords } from './mask.js';
import * as z from 'zod';
import type { Diagnostic } from '../base/index.js';
import { closest } from './closest.js';
import { settingsError } from './codes.js';
import { leafKinds } from './fields.js';
import type { Locator } from './sources.js';

type Path = readonly PropertyKey[];

/** `alerts.rules[2].for`: the notation used in every settings message. */
export function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${String(key)}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodPrefault || current instanceof z.ZodDefault) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** The schema found at `path`, stepping through objects and list elements. */
function schemaAt(root: z.ZodType, path: Path): z.ZodType | undefined {
  let node: z.ZodType | undefined = unwrap(root);
  for (const key of path) {
    if (node instanceof z.ZodObject && typeof key === 'string') {
      const child: z.ZodType | undefined = (node.shape as Record<string, z.ZodType | undefined>)[key];
      node = child && unwrap(child);
    } else if (node instanceof z.ZodArray && typeof key === 'number') {
      node = unwrap(node.element as z.ZodType);
    } else {
      return undefined;
    }
  }
  return node;
}

function isSecretAt(root: z.ZodType, path: Path): boolean {
  const schema = schemaAt(root, path);
  return schema !== undefined && leafKinds.get(schema)?.kind === 'secret';
}

function show(value: unknown): string {
  // JSON.stringify gives undefined for functions and symbols, which YAML and env never produce.
  const text = JSON.stringify(value) as string | undefined ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function where(locate: Locator, path: readonly (string | number)[]): string {
  const origin = locate(path);
  return origin === undefined ? '' : ` (from ${origin})`;
}

/** Turns zod's issues into settings diagnostics that name the path, the bad value, what is expected and where it was set. */
export function issuesToDiagnostics(root: z.ZodType, issues: readonly z.core.$ZodIssue[], locate: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const parent = schemaAt(root, path);
      const known = parent instanceof z.ZodObject ? Object.keys(parent.shape) : [];
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const hint = closest(key, known);
        out.push(
          settingsError(
            'TW_ERR_SETTINGS_UNKNOWN_KEY',
            formatPath(keyPath),
            `${formatPath(keyPath)}: unknown key${where(locate, keyPath)}; valid keys here: ${known.join(', ')}`,
            hint === undefined ? undefined : `Did you mean "${hint}"? Otherwise remove the key.`,
          ),
        );
      }
      continue;
    }
    const input = isSecretAt(root, path) ? '<secret>' : maskUrlPasswords(show(issue.input));
    const dotted = formatPath(path);
    const got = issue.input === undefined ? 'missing' : `got ${input}`;
    out.push(settingsError('TW_ERR_SETTINGS_INVALID', dotted, `${dotted || '(top level)'}: ${got}, ${issue.message}${where(locate, path)}`));
  }
  return out;
}
