import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IncidentStore } from '../src/incidents/index.js';
import { NOW } from './helpers/health-snapshots.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tw-incidents-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('IncidentStore', () => {
  it('names each bundle by its time and trigger, so names sort as the bundles were written', async () => {
    const store = new IncidentStore(join(root, 'incidents'), 10);
    // Out of order and across a second, a minute, a day and a millisecond boundary.
    const times = [NOW + 86_400_000, NOW, NOW + 999, NOW + 1000, NOW + 60_000, NOW + 1];
    const written = [];
    for (const [k, at] of times.entries()) written.push(await store.write(`{"n":${String(k)}}`, at, k % 2 === 0 ? 'down' : 'on_demand'));

    expect(basename(written[1]?.path ?? '')).toBe('incident-20261127T120000000Z-on_demand.json');
    for (const [k, w] of written.entries()) {
      expect(w).toEqual({ path: w.path, bytes: `{"n":${String(k)}}`.length, at: times[k], trigger: k % 2 === 0 ? 'down' : 'on_demand' });
      expect(basename(w.path)).toMatch(new RegExp(`^incident-\\d{8}T\\d{9}Z-${w.trigger}\\.json$`));
    }
    const byName = (await readdir(join(root, 'incidents'))).sort();
    const byTime = [...written].sort((a, b) => a.at - b.at).map((w) => basename(w.path));
    expect(byName).toEqual(byTime);
  });

  it('writes the text whole, readable by the owner only, in a directory only the owner can enter', async () => {
    const dir = join(root, 'state', 'incidents');
    const stored = await new IncidentStore(dir, 10).write('{"bundle":"é"}', NOW, 'down');
    expect(dirname(stored.path)).toBe(dir);
    expect(await readFile(stored.path, 'utf8')).toBe('{"bundle":"é"}');
    // Bytes in UTF-8, not characters.
    expect(stored.bytes).toBe(15);
    expect(await mode(stored.path)).toBe(0o600);
    expect(await mode(dir)).toBe(0o700);
    // Every directory created for it, not only the last one.
    expect(await mode(join(root, 'state'))).toBe(0o700);
  });

  it('keeps the newest `keep` bundles and leaves other files alone', async () => {
    const dir = join(root, 'incidents');
    const store = new IncidentStore(dir, 2);
    await store.write('{}', NOW, 'down');
    // Files that are not bundles (notes, a near miss of the name pattern) are not the store's to remove.
    await writeFile(join(dir, 'README.txt'), 'operator notes');
    await writeFile(join(dir, 'incident-notes.json'), '{}');
    const second = await store.write('{}', NOW + 1000, 'on_demand');
    const third = await store.write('{}', NOW + 2000, 'down');
    const fourth = await store.write('{}', NOW + 3000, 'down');

    const names = (await readdir(dir)).sort();
    expect(names).toEqual(['README.txt', basename(third.path), basename(fourth.path), 'incident-notes.json'].sort());
    expect(names).not.toContain(basename(second.path));
    expect(names.some((n) => n.endsWith('.tmp'))).toBe(false);
  });

  it('leaves no temp file behind', async () => {
    const dir = join(root, 'incidents');
    const store = new IncidentStore(dir, 3);
    for (let k = 0; k < 5; k++) await store.write('x'.repeat(10_000), NOW + k, 'down');
    const names = await readdir(dir);
    expect(names).toHaveLength(3);
    expect(names.filter((n) => !/^incident-\d{8}T\d{9}Z-down\.json$/.test(n))).toEqual([]);
  });
});
