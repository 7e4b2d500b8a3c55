import { readFileSync } from 'node:fs';
import { write } from '../../base/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT, type Io } from '../io.js';

const USAGE = `Usage: tunnelwatch incident [--tunnelwatch URL] [--token-file FILE] [--json]

Asks a running tunnelwatch to write an incident bundle now (POST /incidents) and prints where it is, on that
tunnelwatch's disk: the health snapshot, the diagnosis, firing alerts, probe results, both /metrics, cloudflared's
/ready, /config and /diag answers, the newest records and the settings, with every secret hidden.

  --tunnelwatch URL     the running tunnelwatch (default http://127.0.0.1:9464)
  --token-file FILE     its server.authToken, when it listens beyond loopback (or TUNNELWATCH_SERVER_AUTH_TOKEN)
  --json                print the answer as JSON: {"path", "bytes", "at", "trigger"}

Exit status: 0 written, 1 tunnelwatch could not write it or could not be reached, 2 usage.
`;

interface Written {
  readonly path: string;
  readonly bytes: number;
  readonly at: number;
}

export async function incidentCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs(args, { tunnelwatch: { type: 'string' }, 'token-file': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length > 0) {
    await write(io.stderr, `tunnelwatch incident: unexpected argument ${parsed.positionals[0] ?? ''}\n\n${USAGE}`);
    return EXIT.usage;
  }
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
