// Settings errors repeat the value they reject; a URL can carry a password (`https://user:pw@host`), which
// must not be repeated anywhere, so it is masked before any value is shown.
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"]*:)[^\s@/"]*@/gi;

export function maskUrlPasswords(text: string): string {
  return text.replace(URL_PASSWORD, '$1<secret>@');
}
