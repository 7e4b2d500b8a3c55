import { formatOriginService, matchIngress } from '../../cloudflared/config/index.js';
import { hasErrors, whyUnreadable, write } from '../../base/index.js';
import { parseCommandArgs, usageError } from '../args.js';
import { checkConfigFile } from '../cloudflared-config-input.js';
import { EXIT, type Io } from '../io.js';
import { renderDiagnostics } from '../render-diagnostics.js';

export async function ingressCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs('ingress', args, { config: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, io, { max: 2, hint: 'ingress match takes one URL' });
  if (typeof parsed === 'number') return parsed;
  const [sub, url] = parsed.positionals;
  if (sub !== 'match' || url === undefined) return usageError('ingress', 'expected `match URL`', io);
  const lookup = checkConfigFile(io, parsed.values.config);
  if (lookup.kind === 'not_found') {
    await write(io.stderr, `tunnelwatch ingress match: no cloudflared config found; pass --config FILE\n`);
    return EXIT.usage;
  }
  if (lookup.kind === 'unreadable') {
    await write(io.stderr, `tunnelwatch ingress match: cannot read the config: ${whyUnreadable(lookup.file)}\n`);
    return EXIT.failed;
  }
  if (!lookup.config || hasErrors(lookup.diagnostics)) {
    await write(io.stderr, `Validation failed\n${renderDiagnostics(lookup.file, lookup.diagnostics.filter((d) => d.severity === 'error'))}`);
    return EXIT.failed;
  }
  const match = matchIngress(lookup.config, url);
  if (!match.ok) {
    await write(io.stderr, `tunnelwatch ingress match: ${match.error}\n`);
    return EXIT.failed;
  }
  const { rule } = match;
  const service = formatOriginService(rule.service, rule.serviceText);
  if (parsed.values.json === true) {
    await write(io.stdout, `${JSON.stringify({ index: match.index, hostname: rule.hostname, path: rule.path ?? null, service })}\n`);
    return EXIT.ok;
  }
  let out = `Using rules from ${lookup.file}\nMatched rule #${String(match.index)}\n`;
  if (rule.hostname !== '') out += `\thostname: ${rule.hostname}\n`;
  if (rule.path !== undefined) out += `\tpath: ${rule.path}\n`;
  out += `\tservice: ${service}\n`;
  await write(io.stdout, out);
  return EXIT.ok;
}
