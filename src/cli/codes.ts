import { INGRESS_CODES } from '../cloudflared/config/index.js';
import { SETTINGS_CODES } from '../config/index.js';
import type { CodeInfo } from '../base/index.js';

/** Every error and warning code tunnelwatch can print, grouped as docs/errors.md lists them. */
export const CODE_CATALOGUE: readonly { readonly section: string; readonly codes: readonly CodeInfo[] }[] = [
  { section: 'cloudflared config and ingress rules', codes: INGRESS_CODES },
  { section: "tunnelwatch's own settings", codes: SETTINGS_CODES },
];

/** The text of docs/errors.md, generated from the catalogue so the two cannot drift apart. */
export function renderErrorDocs(): string {
  let out =
    '# Error and warning codes\n\n' +
    'Every diagnostic tunnelwatch prints carries one of these codes. Codes are stable and never reused.\n' +
    'This file is generated from `src/cli/codes.ts` by `npm run docs`; a test fails when they differ.\n';
  for (const { section, codes } of CODE_CATALOGUE) {
    out += `\n## ${section}\n\n| code | severity | what | fix |\n| --- | --- | --- | --- |\n`;
    for (const c of codes) out += `| \`${c.code}\` | ${c.severity} | ${c.title} | ${c.fix.replace(/\|/g, '\\|')} |\n`;
  }
  return out;
}
