// YAML read in bounded time and depth. The yaml package's own unique-key check compares every pair of keys of a
// map (40,000 keys took 19 s), and its parser recurses once per nesting level (a deep enough file overflows the
// stack): keys are checked here with one set per map, and nesting is capped before and after parsing. Pure.
import { isMap, isPair, isScalar, isSeq, type Document, type Node as YamlNode, type ParsedNode } from 'yaml';

/** Deeper than any real config or settings file (a few levels), shallow enough for the parser's recursion. */
export const MAX_DEPTH = 64;

export interface BoundsProblem {
  readonly message: string;
  /** Offset in the text. */
  readonly offset: number;
  /** 1-based line and column of the offset. */
  readonly line: number;
  readonly column: number;
}

function problem(text: string, offset: number, message: string): BoundsProblem {
  const before = text.slice(0, offset);
  return { message, offset, line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/**
 * Nesting too deep to parse safely, found in one pass over the text: flow brackets, or indentation wider than
 * MAX_DEPTH levels of a few columns each. Brackets inside quoted strings count too: a false alarm there needs
 * over sixty nested brackets in a string.
 */
export function nestingTooDeep(text: string): BoundsProblem | undefined {
  let depth = 0;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 91 || c === 123) {
      if (++depth > MAX_DEPTH) return problem(text, i, `nesting deeper than ${String(MAX_DEPTH)} levels`);
    } else if (c === 93 || c === 125) {
      depth = Math.max(0, depth - 1);
    } else if (c === 10) {
      lineStart = i + 1;
    } else if (c !== 32 && i - lineStart > MAX_DEPTH * 8 && /^ +$/.test(text.slice(lineStart, i))) {
      return problem(text, i, `indentation deeper than ${String(MAX_DEPTH * 8)} columns (nesting deeper than ${String(MAX_DEPTH)} levels)`);
    }
  }
  return undefined;
}

/** The first key repeated within one mapping, checked with one set per map (linear in the document's size). */
export function duplicateKey(doc: Document.Parsed, text: string): BoundsProblem | undefined {
  const stack: (YamlNode | null)[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = pair.key as ParsedNode | null;
        const name = isScalar(key) ? String(key.value) : JSON.stringify(key?.toJSON() ?? null);
        // Compared as yaml compares keys: by value and type, so 1 and "1" are two keys.
        const id = isScalar(key) ? `${typeof key.value}:${name}` : `node:${name}`;
        if (seen.has(id)) return problem(text, key?.range[0] ?? 0, `Map keys must be unique ("${name}" is repeated)`);
        seen.add(id);
        stack.push(pair.value as YamlNode | null);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item as YamlNode | null);
    }
  }
  return undefined;
}
