import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../src/config/load.js';
import { LEAVES } from '../src/config/leaves.js';

const sectionKeys = ['identity', 'cloudflared', 'supervisor', 'server', 'edge', 'origins', 'alerts', 'logs'];
const leafKeys = [...new Set(LEAVES.map((l) => l.path[l.path.length - 1] ?? ''))];

// Documents shaped like real settings (real key names, random values) reach deep into the schema.
const settingsLike = fc.dictionary(
  fc.constantFrom(...sectionKeys, 'bogus'),
  fc.oneof(fc.dictionary(fc.constantFrom(...leafKeys, 'x'), fc.jsonValue()), fc.jsonValue()),
);

describe('settings never crash on any input', () => {
  it('any text as the settings file', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        const result = loadSettings({ file: { text, name: 'f.yaml' }, env: {} });
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('any settings-shaped document', () => {
    fc.assert(
      fc.property(settingsLike, (doc) => {
        const result = loadSettings({ file: { text: stringify(doc), name: 'f.yaml' }, env: {} });
        if (!result.ok) for (const d of result.diagnostics) expect(d.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('any TUNNELWATCH_ variables and --set flags', () => {
    const names = fc.constantFrom(...LEAVES.map((l) => l.env), 'TUNNELWATCH_X');
    fc.assert(
      fc.property(fc.dictionary(names, fc.string()), fc.array(fc.string()), (env, sets) => {
        expect(typeof loadSettings({ env, sets }).ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
