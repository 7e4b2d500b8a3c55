// A rule hostname's punycode form, which cloudflared matches besides its Unicode text (ingress/rule.go).
import { domainToASCII } from 'node:url';

/**
 * The punycode form cloudflared also matches a rule hostname against (idna.Lookup.ToASCII), or
 * undefined when it is the same or the conversion fails. Lookup applies STD3 rules, so a hostname
 * with `*` or `_` has no punycode form: wildcard IDN patterns only ever match their Unicode text.
 */
export function punycodeHostname(hostname: string): string | undefined {
  // STD3 allows only letters, digits, `-` and `.` among ASCII characters.
  if (hostname === '' || /[\p{ASCII}]/u.test(hostname.replace(/[0-9A-Za-z.-]/g, ''))) return undefined;
  for (const label of hostname.toLowerCase().split('.')) {
    if (label.startsWith('-') || label.endsWith('-')) return undefined;
    if (!label.startsWith('xn--') && label.length > 4 && label.slice(2, 4) === '--') return undefined;
  }
  const ascii = domainToASCII(hostname);
  return ascii === '' || ascii === hostname ? undefined : ascii;
}
