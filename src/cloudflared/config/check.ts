// The `validate` command's single entry point: parse, then cloudflared's own checks, then the linter.
import type { Diagnostic } from '../../base/index.js';
import { type CloudflaredConfig, type ConfigShape, parseCloudflaredConfig } from './file.js';
import { lintConfigFile } from './lint.js';
import { lintIngress, type ReadFile } from './ingress-lint.js';
import { validateCloudflaredConfig } from './ingress-validate.js';

/** Options for checkCloudflaredConfig. */
export interface CheckOptions {
  /** Reads caPool and credentials files; defaults to "nothing can be read" so the check stays pure. */
  readonly readFile?: ReadFile;
  /** Forces the document shape instead of detecting it. */
  readonly shape?: ConfigShape;
}

/** Parses, validates and lints cloudflared config text; errors first, then warnings, in document order. */
export function checkCloudflaredConfig(
  text: string,
  origin: string,
  options: CheckOptions = {},
): { config?: CloudflaredConfig; diagnostics: Diagnostic[] } {
  const parsed = parseCloudflaredConfig(text, origin, options.shape === undefined ? {} : { shape: options.shape });
  const { config } = parsed;
  if (!config) return { diagnostics: parsed.diagnostics };
  const readFile = options.readFile ?? ((): undefined => undefined);
  const all = [
    ...parsed.diagnostics,
    ...validateCloudflaredConfig(config),
    ...lintConfigFile(config, readFile),
    ...lintIngress(config, readFile),
  ];
  const errors = all.filter((d) => d.severity === 'error');
  return { config, diagnostics: [...errors, ...all.filter((d) => d.severity !== 'error')] };
}
