/** A finding about a configuration: stable code, where it is, what is wrong and how to fix it. */
export interface Diagnostic {
  /** Stable identifier, never reused: `TW_ERR_*` for errors, `TW_WARN_*` for warnings. */
  readonly code: string;
  readonly severity: 'error' | 'warning';
  /** Location inside the document, e.g. `ingress[2].originRequest.connectTimeout`; `''` for the whole document. */
  readonly path: string;
  /** What is wrong. For rules cloudflared itself enforces, cloudflared's own wording. */
  readonly message: string;
  /** How to fix it, one sentence. */
  readonly fix: string;
}

/** One entry of the code catalogue; `docs/errors.md` lists every entry (a test keeps them in step). */
export interface CodeInfo {
  readonly code: string;
  readonly severity: 'error' | 'warning';
  /** Short title used as the docs heading. */
  readonly title: string;
  /** Generic fix advice printed when a diagnostic does not carry a more specific one. */
  readonly fix: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}
