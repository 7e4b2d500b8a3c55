import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTunnelToken, normaliseUuid, parseTunnelToken } from '../src/cloudflared/token.js';

const secret = Buffer.alloc(32, 7);
const parts = { accountTag: '0123456789abcdef0123456789abcdef', tunnelId: '6ff42ae2-765d-4adf-8112-31c55c1551ef', secret };

describe('tunnel token', () => {
  it('round-trips a dashboard-style token, which starts with eyJhIjoi', () => {
    const token = encodeTunnelToken(parts);
    expect(token.startsWith('eyJhIjoi')).toBe(true);
    const parsed = parseTunnelToken(token);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.token.accountTag).toBe(parts.accountTag);
    expect(parsed.token.tunnelId).toBe(parts.tunnelId);
    expect(Buffer.from(parsed.token.secret.reveal(), 'base64')).toEqual(secret);
    expect(JSON.stringify(parsed.token)).not.toContain(secret.toString('base64'));
  });

  it('keeps the FedRAMP endpoint', () => {
    const parsed = parseTunnelToken(encodeTunnelToken({ ...parts, endpoint: 'fed' }));
    expect(parsed.ok && parsed.token.endpoint).toBe('fed');
  });

  it.each([
    ['URL-safe base64', encodeTunnelToken(parts).replace(/\+/g, '-').replace(/\//g, '_') + '-', 'the token is not standard base64'],
    ['missing padding', Buffer.from('{"a":"xy"}').toString('base64').replace(/=+$/, ''), 'the token is not standard base64'],
    ['not JSON', Buffer.from('hello').toString('base64'), 'the decoded token is not JSON'],
    ['a JSON array', Buffer.from('[]').toString('base64'), 'the decoded token is not a JSON object'],
    ['a bad tunnel id', Buffer.from('{"a":"x","t":"nope","s":"AAAA"}').toString('base64'), 'the token\'s tunnel id ("t") is not a UUID'],
    ['a bad secret', Buffer.from('{"a":"x","t":"6ff42ae2-765d-4adf-8112-31c55c1551ef","s":"!!"}').toString('base64'), 'the token\'s secret ("s") is not base64'],
    ['a number as account', Buffer.from('{"a":1}').toString('base64'), 'a token field has the wrong type'],
  ])('rejects %s like cloudflared', (_name, token, reason) => {
    expect(parseTunnelToken(token)).toEqual({ ok: false, reason });
  });

  it('accepts missing keys as empty, as Go json.Unmarshal does', () => {
    const parsed = parseTunnelToken(Buffer.from('{}').toString('base64'));
    expect(parsed.ok && parsed.token.tunnelId).toBe('00000000-0000-0000-0000-000000000000');
  });

  it('accepts the UUID forms google/uuid accepts', () => {
    const id = '6ff42ae2-765d-4adf-8112-31c55c1551ef';
    for (const form of [id, id.toUpperCase(), `{${id}}`, `urn:uuid:${id}`, id.replace(/-/g, '')]) expect(normaliseUuid(form)).toBe(id);
    expect(normaliseUuid(`${id}x`)).toBeUndefined();
  });

  it('never throws and never echoes the input in a reason', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const parsed = parseTunnelToken(text);
        if (!parsed.ok && text.length > 8) expect(parsed.reason).not.toContain(text);
      }),
      { numRuns: 1000 },
    );
  });
});
