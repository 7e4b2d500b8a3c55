// The account and tunnel a tunnel token names. The edge view needs both and the tunnel id labels every series and
// record from the start; a token given as a file (the way the manifests give it) names them as well as an inline
// one, so neither needs repeating in edge.accountId and edge.tunnelId.
import { readTextOrUndefined } from '../base/index.js';
import { parseTunnelToken } from '../cloudflared/token.js';
import type { Settings } from '../config/index.js';

/** What the token in cloudflared.token or cloudflared.tokenFile names; {} without a readable, well-formed one. */
export function tokenIdentity(c: Settings['cloudflared']): { readonly accountId?: string; readonly tunnelId?: string } {
  const token = c.token?.reveal() ?? (c.tokenFile === undefined ? undefined : readTextOrUndefined(c.tokenFile)?.trim());
  const parsed = token === undefined ? undefined : parseTunnelToken(token);
  return parsed?.ok === true ? { accountId: parsed.token.accountTag, tunnelId: parsed.token.tunnelId } : {};
}

/** `settings` with edge.accountId and edge.tunnelId taken from the token where they are unset. */
export function withTokenIdentity(settings: Settings): Settings {
  const { edge } = settings;
  if (edge.accountId !== undefined && edge.tunnelId !== undefined) return settings;
  const named = tokenIdentity(settings.cloudflared);
  const accountId = edge.accountId ?? named.accountId;
  const tunnelId = edge.tunnelId ?? named.tunnelId;
  return { ...settings, edge: { ...edge, ...(accountId === undefined ? {} : { accountId }), ...(tunnelId === undefined ? {} : { tunnelId }) } };
}
