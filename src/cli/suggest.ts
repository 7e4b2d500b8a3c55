import { closest } from '../config/index.js';

/** The name someone most likely meant: the only one `name` begins, else one a typo or two away (as settings keys are). */
export function suggest(name: string, candidates: readonly string[]): string | undefined {
  const extended = name === '' ? [] : candidates.filter((c) => c.startsWith(name));
  return extended.length === 1 ? extended[0] : closest(name, candidates);
}
