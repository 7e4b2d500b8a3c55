import { readFileSync } from 'node:fs';
import { write } from '../../base/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT, type Io } from '../io.js';

interface Written {
  readonly path: string;
  readonly bytes: number;
  readonly at: number;
}

export async function incidentCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs('incident', args, { tunnelwatch: { type: 'string' }, 'token-file': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const base = (values.tunnelwatch ?? 'http://127.0.0.1:9464').replace(/\/+$/, '');
  let token = io.env.TUNNELWATCH_SERVER_AUTH_TOKEN;
  if (values['token-file'] !== undefined) {
    try {
      token = readFileSync(values['token-file'], 'utf8').trim();
    } catch (error) {
      await write(io.stderr, `tunnelwatch incident: cannot read --token-file ${values['token-file']}: ${(error as Error).message}\n`);
      return EXIT.usage;
    }
  }
  let res: Response;
  try {
    res = await fetch(`${base}/incidents`, { method: 'POST', headers: token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    await write(io.stderr, `tunnelwatch incident: cannot reach ${base}: ${(error as Error).message}; is tunnelwatch running there (--tunnelwatch URL)?\n`);
    return EXIT.failed;
  }
  const text = await res.text();
  if (res.status !== 201) {
    const hint = res.status === 401 ? '; pass its server.authToken with --token-file' : res.status === 404 ? '; that address is not a tunnelwatch run (or one older than incident bundles)' : '';
    await write(io.stderr, `tunnelwatch incident: ${base} answered HTTP ${String(res.status)}: ${text.slice(0, 300)}${hint}\n`);
    return EXIT.failed;
  }
  if (values.json === true) {
    await write(io.stdout, `${text}\n`);
    return EXIT.ok;
  }
  const written = JSON.parse(text) as Written;
  await write(io.stdout, `incident bundle written by ${base}: ${written.path} (${String(written.bytes)} bytes, ${new Date(written.at).toISOString()})\n`);
  return EXIT.ok;
}
