import type { Diagnostic } from '../base/index.js';

function plural(n: number, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** Human listing of diagnostics for one document: a header line, then severity, code, path, message and fix. */
export function renderDiagnostics(source: string, diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const verdict = errors > 0 ? 'INVALID' : 'OK';
  let out = `${source}: ${verdict} (${plural(errors, 'error')}, ${plural(warnings, 'warning')})\n`;
  for (const d of diagnostics) {
    out += `  ${d.severity === 'error' ? 'error  ' : 'warning'} ${d.code}${d.path ? ` at ${d.path}` : ''}\n`;
    out += `          ${d.message}\n`;
    if (d.fix) out += `          fix: ${d.fix}\n`;
  }
  return out;
}
