import { displaySettings, LEAVES } from '../../config/index.js';
import { Redactor } from '../../telemetry/logs/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT, type Io } from '../io.js';
import { write } from '../../base/index.js';
import { renderDiagnostics } from '../render-diagnostics.js';
import { loadSettingsFor } from '../settings-input.js';

export async function settingsCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs('settings', args, { settings: { type: 'string' }, set: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } }, io);
  if (typeof parsed === 'number') return parsed;
  const result = loadSettingsFor(io, parsed.values.settings, parsed.values.set ?? []);
  if (!result.ok) {
    await write(io.stderr, renderDiagnostics('settings', result.diagnostics));
    return EXIT.failed;
  }
  const table = LEAVES.map((l) => `  ${l.dotted.padEnd(40)} ${l.env.padEnd(52)} ${l.kind}${l.values ? ` (${l.values.join('|')})` : ''}`).join('\n');
  // Secret settings print as <secret>; any other value shaped like a token (a JWT, a tunnel token) is masked too.
  const redactor = new Redactor();
  const json = JSON.stringify(displaySettings(result.settings), (_key, value: unknown) => (typeof value === 'string' ? redactor.text(value) : value), 2);
  await write(io.stdout, `${json}\n\nsetting                                  environment variable                                 kind\n${table}\n`);
  return EXIT.ok;
}
