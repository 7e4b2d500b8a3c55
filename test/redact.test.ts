import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTunnelToken } from '../src/cloudflared/token.js';
import { Redactor } from '../src/telemetry/logs/redact.js';

const M = '<redacted>';
const plain = new Redactor();

describe('Redactor.text: configured secret values', () => {
  it('replaces every occurrence of a configured value, wherever it sits', () => {
    const r = new Redactor(['Qv8ZpLm2Xw']);
    expect(r.text('dest=https://a.example/Qv8ZpLm2Xw/x?q=Qv8ZpLm2Xw')).toBe(`dest=https://a.example/${M}/x?q=${M}`);
  });

  it('replaces the longer of two overlapping values whole', () => {
    const r = new Redactor(['abcdef', 'abcdefghij']);
    expect(r.text('x abcdefghij y abcdef')).toBe(`x ${M} y ${M}`);
  });

  it('ignores values shorter than 6 characters, and undefined ones', () => {
    const r = new Redactor(['abc12', undefined, '']);
    expect(r.text('abc12 is too common to hide')).toBe('abc12 is too common to hide');
  });
});

describe('Redactor.text: secret shapes, whoever wrote them', () => {
  it('hides a JWT', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    expect(plain.text(`session ${jwt} expired`)).toBe(`session ${M} expired`);
  });

  it('hides a base64 JSON tunnel token', () => {
    const token = encodeTunnelToken({ accountTag: '0123456789abcdef0123456789abcdef', tunnelId: '6ff42ae2-765d-4adf-8112-31c55c1551ef', secret: Buffer.alloc(32, 9) });
    expect(plain.text(`TUNNEL_TOKEN=${token}`)).not.toContain(token);
    expect(plain.text(`running with ${token}`)).toBe(`running with ${M}`);
  });

  it('hides Authorization values in header text, keeping the scheme', () => {
    expect(plain.text('Authorization: Bearer abc.def-ghi')).toBe(`Authorization: Bearer ${M}`);
    expect(plain.text('proxy-authorization: Basic dXNlcjpwYXNzd29yZA==')).toBe(`proxy-authorization: Basic ${M}`);
    expect(plain.text('authorization=rawvalue123; next=1')).toBe(`authorization=${M}; next=1`);
  });

  it('hides Authorization values inside JSON text', () => {
    expect(plain.text('{"Authorization":"Bearer s3cr3tv4lue","x":1}')).toBe(`{"Authorization":"Bearer ${M}","x":1}`);
    expect(plain.text("{'authorization': 'Basic Zm9vOmJhcg=='}")).toBe(`{'authorization': 'Basic ${M}'}`);
  });

  it('hides key=value and "key": "value" pairs named like secrets', () => {
    expect(plain.text('GET /x?api_key=abcd1234&page=2')).toBe(`GET /x?api_key=${M}&page=2`);
    expect(plain.text('password: hunter22 user=bob')).toBe(`password: ${M} user=bob`);
    expect(plain.text('{"client_secret":"zz99yy88"}')).toBe(`{"client_secret":"${M}"}`);
    expect(plain.text('X-Auth-Key=0123456789')).toBe(`X-Auth-Key=${M}`);
  });

  it('leaves values of 3 characters or fewer after a secret-named key alone', () => {
    expect(plain.text('token=abc')).toBe('token=abc');
  });

  it('hides the password of a URL, keeping user and host', () => {
    expect(plain.text('dial postgres://app:pw12345@db.internal:5432/x failed')).toBe(`dial postgres://app:${M}@db.internal:5432/x failed`);
  });

  it('returns clean text unchanged', () => {
    const line = 'Registered tunnel connection connIndex=0 location=lax01 protocol=quic';
    expect(plain.text(line)).toBe(line);
  });
});

describe('Redactor.value: records', () => {
  it('redacts strings in nested objects and arrays', () => {
    const r = new Redactor(['Qv8ZpLm2Xw']);
    const out = r.value({ msg: 'ok', fields: { dest: 'https://h/Qv8ZpLm2Xw', list: ['a', ['Authorization: Bearer tok123']] }, n: 3 });
    expect(out).toEqual({ msg: 'ok', fields: { dest: `https://h/${M}`, list: ['a', [`Authorization: Bearer ${M}`]] }, n: 3 });
  });

  it('masks the whole value of a field named like a secret, whatever its type', () => {
    const out = plain.value({ password: 'x', Token: 1234, authorization: { scheme: 'Bearer' }, 'set-cookie': ['a=b'], tunnel_secret: 'short' });
    expect(out).toEqual({ password: M, Token: M, authorization: M, 'set-cookie': M, tunnel_secret: M });
  });

  it('keeps null and empty secret-named fields (nothing to hide, and they tell something)', () => {
    expect(plain.value({ token: null, password: '' })).toEqual({ token: null, password: '' });
  });

  it('returns an unchanged record by identity, and shares unchanged parts of a changed one', () => {
    const clean = { msg: 'Registered tunnel connection', fields: { connIndex: 0, ip: '198.41.192.67' }, list: [1, 'two'] };
    expect(plain.value(clean)).toBe(clean);
    const mixed = { a: clean.fields, b: ['Authorization: Bearer abcdef'] };
    const out = plain.value(mixed);
    expect(out).not.toBe(mixed);
    expect(out.a).toBe(clean.fields);
    expect(mixed.b[0]).toBe('Authorization: Bearer abcdef');
  });

  it('passes numbers, booleans and null through', () => {
    expect(plain.value(42)).toBe(42);
    expect(plain.value(true)).toBe(true);
    expect(plain.value(null)).toBe(null);
  });
});

// Secrets of capitals and digits: neither the mark, JSON escaping nor the keys below can spell one, so an
// occurrence in the output can only be a leak.
const secretArb = fc.stringMatching(/^[A-Z0-9]{6,40}$/);
const KEYS = ['msg', 'error', 'fields', 'dest', 'host', 'path', 'raw', 'a', 'b', 'token', 'password'] as const;

/** A JSON-like record whose strings may carry `secret` anywhere; the top-level `msg` always does. */
function recordArb(secret: string): fc.Arbitrary<Record<string, unknown>> {
  const text = fc.tuple(fc.string({ maxLength: 20 }), fc.boolean(), fc.string({ maxLength: 20 })).map(([a, withSecret, b]) => (withSecret ? `${a}${secret}${b}` : `${a}${b}`));
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      text,
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 4 }),
    ),
  }));
  const always = fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([a, b]) => `${a}${secret}${b}`);
  return fc.tuple(always, fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 5 })).map(([msg, rest]) => ({ ...rest, msg }));
}

describe('Redactor (property)', () => {
  it('never lets a configured secret through, wherever it is inserted', () => {
    fc.assert(
      fc.property(
        secretArb.chain((secret) => fc.tuple(fc.constant(secret), recordArb(secret))),
        ([secret, record]) => {
          const out = JSON.stringify(new Redactor([secret]).value(record));
          expect(out).not.toContain(secret);
        },
      ),
      { numRuns: 300 },
    );
  });
});
