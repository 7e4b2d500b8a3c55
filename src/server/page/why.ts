// The Why section: each reason the connector gives, with what to do about it. A reason that a diagnosed cause
// explains shows that cause (its evidence, fix and runbook); one that none explains shows the generic next step
// for its code. Causes no reason claims (one replica only, version skew, a slow origin) follow.
import type { CauseId, Diagnosis } from '../../diagnosis/index.js';
import type { HealthSnapshot, Reason } from '../../state/index.js';
import { badge, escapeHtml, when } from './html.js';
import { NEXT_STEPS } from './next-steps.js';

function cause(d: Diagnosis, now: number): string {
  const evidence = d.evidence.map((x) => `<li><span class="dim">${escapeHtml(x.source)}${x.at === undefined ? '' : ` · ${when(x.at, now)}`}</span> <code>${escapeHtml(x.text)}</code></li>`).join('');
  return `<div class="cause"><strong>${escapeHtml(d.title)}</strong> ${badge(d.domain, d.domain)} <span class="dim">${escapeHtml(d.confidence)} confidence · since ${when(d.since, now)}</span>
<p class="next"><strong>Next step:</strong> ${escapeHtml(d.remediation)} <a href="${escapeHtml(d.runbook)}">Runbook</a></p><ul>${evidence}</ul></div>`;
}

function reason(r: Reason, explained: readonly Diagnosis[], runbookBaseUrl: string, now: number): string {
  const next = NEXT_STEPS[r.code];
  const body =
    explained.length > 0
      ? explained.map((d) => cause(d, now)).join('')
      : `<p class="next"><strong>Next step:</strong> ${escapeHtml(next.step)} <a href="${escapeHtml(`${runbookBaseUrl.replace(/\/+$/, '')}/${next.runbook}`)}">Runbook</a></p>`;
  return `<li><code>${escapeHtml(r.code)}</code> ${escapeHtml(r.message)} <span class="dim">since ${when(r.since, now)}</span>${body}</li>`;
}

/** `diagnosis` is undefined where nothing diagnoses (a bare server): every reason then gets its generic step. */
export function why(s: HealthSnapshot, diagnosis: readonly Diagnosis[] | undefined, runbookBaseUrl: string, now: number): string {
  const found = diagnosis ?? [];
  if (s.reasons.length === 0 && found.length === 0) return '<section id="why"><h2>Why</h2><p class="dim">Nothing is wrong that tunnelwatch knows of: no reason, no cause.</p></section>';
  // Each cause is shown once, under the first reason it explains.
  const shown = new Set<CauseId>();
  const items = s.reasons.map((r) => {
    const explained = found.filter((d) => NEXT_STEPS[r.code].causes.includes(d.cause) && !shown.has(d.cause));
    for (const d of explained) shown.add(d.cause);
    return reason(r, explained, runbookBaseUrl, now);
  });
  const others = found.filter((d) => !shown.has(d.cause));
  const rest = others.length === 0 ? '' : `<h3>Also found</h3><ul>${others.map((d) => `<li>${cause(d, now)}</li>`).join('')}</ul>`;
  const list = items.length === 0 ? '<p class="dim">No reason: the connector and its origins are fine.</p>' : `<ul>${items.join('')}</ul>`;
  return `<section id="why"><h2>Why</h2>${list}${rest}</section>`;
}
