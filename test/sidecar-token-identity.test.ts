import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeTunnelToken } from '../src/cloudflared/token.js';
import { loadSettings } from '../src/config/load.js';
import type { Settings } from '../src/config/index.js';
import { tokenIdentity, withTokenIdentity } from '../src/sidecar/token-identity.js';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const TUNNEL = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
const TOKEN = encodeTunnelToken({ accountTag: ACCOUNT, tunnelId: TUNNEL, secret: Buffer.alloc(32, 7) });
const dir = mkdtempSync(join(tmpdir(), 'tw-token-identity-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function settings(env: Record<string, string>): Settings {
  const loaded = loadSettings({ env: { TUNNELWATCH_LOGS_SPOOL_DIR: join(dir, 'spool'), ...env } });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.settings;
}

describe('the account and tunnel a token names', () => {
  it('from a token file, as the manifests give it (trailing newline and all)', () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    const s = withTokenIdentity(settings({ TUNNELWATCH_CLOUDFLARED_TOKEN_FILE: file }));
    expect(s.edge).toMatchObject({ accountId: ACCOUNT, tunnelId: TUNNEL });
  });

  it('from an inline token', () => {
    expect(tokenIdentity(settings({ TUNNELWATCH_CLOUDFLARED_TOKEN: TOKEN }).cloudflared)).toEqual({ accountId: ACCOUNT, tunnelId: TUNNEL });
  });

  it('never over what edge.accountId and edge.tunnelId say', () => {
    const other = '3a5c7e9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d';
    const s = withTokenIdentity(settings({ TUNNELWATCH_CLOUDFLARED_TOKEN: TOKEN, TUNNELWATCH_EDGE_TUNNEL_ID: other }));
    expect(s.edge).toMatchObject({ accountId: ACCOUNT, tunnelId: other });
  });

  it('nothing from a missing file or a malformed token (the pre-flight check says why)', () => {
    expect(tokenIdentity(settings({ TUNNELWATCH_CLOUDFLARED_TOKEN_FILE: join(dir, 'absent') }).cloudflared)).toEqual({});
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'not-a-token\n');
    expect(tokenIdentity(settings({ TUNNELWATCH_CLOUDFLARED_TOKEN_FILE: bad }).cloudflared)).toEqual({});
    expect(withTokenIdentity(settings({})).edge.tunnelId).toBeUndefined();
  });
});
