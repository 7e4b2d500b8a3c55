import { fetchNodeZone, inClusterAccess, type NodeZone } from '../../collectors/index.js';
import { replaceFileSync, write } from '../../base/index.js';
import { parseCommandArgs, usageError } from '../args.js';
import { EXIT, type Io } from '../io.js';

export async function nodeZoneCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs('node-zone', args, { out: { type: 'string' }, node: { type: 'string' }, 'api-server': { type: 'string' }, 'service-account-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } }, io);
  if (typeof parsed === 'number') return parsed;
  const { out, 'api-server': apiServer, 'service-account-dir': dir } = parsed.values;
  if (out === undefined) return usageError('node-zone', '--out FILE is required: where the zone is written for identity.zoneFile', io);
  const node = parsed.values.node ?? io.env.NODE_NAME;
  if (node === undefined || node === '') return usageError('node-zone', 'no node: give --node NAME or NODE_NAME (spec.nodeName by the downward API)', io);
  if (apiServer !== undefined && !/^https:\/\/[^/\s]+/.test(apiServer)) return usageError('node-zone', `--api-server ${JSON.stringify(apiServer)} is not an https URL`, io);

  const access = inClusterAccess(io.env, dir, apiServer);
  const found: NodeZone = 'url' in access ? await fetchNodeZone(access, node) : access;
  try {
    replaceFileSync(out, found.ok ? `${found.zone}\n` : '');
  } catch (error) {
    await write(io.stderr, `tunnelwatch node-zone: cannot write ${out}: ${(error as Error).message}; mount a writable volume there (an emptyDir shared with the tunnelwatch container)\n`);
    return EXIT.failed;
  }
  if (found.ok) await write(io.stdout, `tunnelwatch node-zone: node ${node} is in zone ${found.zone} (label ${found.label}); written to ${out}\n`);
  else await write(io.stderr, `tunnelwatch node-zone: ${found.problem}; ${found.fix}. ${out} is left empty: tunnelwatch starts without the zone label and warns\n`);
  return EXIT.ok;
}
