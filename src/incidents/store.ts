// Where incident bundles are kept: one file per bundle, named by its time so names sort as the bundles were
// written, written whole (a temp file renamed into place) and readable by the owner only (it shows the connector's
// configuration); the oldest beyond `keep` are removed.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const NAME = /^incident-\d{8}T\d{6}(\d{3})?Z-[a-z_]+\.json$/;

export interface StoredBundle {
  readonly path: string;
  readonly bytes: number;
  /** Unix ms. */
  readonly at: number;
  readonly trigger: string;
}

export class IncidentStore {
  readonly #dir: string;
  readonly #keep: number;

  constructor(dir: string, keep: number) {
    this.#dir = dir;
    this.#keep = keep;
  }

  /** Writes `text` as the bundle of `at` and removes the oldest beyond `keep`. */
  async write(text: string, at: number, trigger: string): Promise<StoredBundle> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace('.', '');
    const path = join(this.#dir, `incident-${stamp}-${trigger}.json`);
    const temp = `${path}.tmp`;
    await writeFile(temp, text, { mode: 0o600 });
    await rename(temp, path);
    await this.#rotate();
    return { path, bytes: Buffer.byteLength(text), at, trigger };
  }

  async #rotate(): Promise<void> {
    const names = (await readdir(this.#dir)).filter((n) => NAME.test(n)).sort();
    for (const name of names.slice(0, Math.max(0, names.length - this.#keep))) await rm(join(this.#dir, name), { force: true });
  }
}
