import { write } from '../../base/index.js';
import { type CheckResult, doctorExitCode, runDoctor, tally } from '../../doctor/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT, type Io } from '../io.js';
import { renderDiagnostics } from '../render-diagnostics.js';
import { loadSettingsFor } from '../settings-input.js';

function render(r: CheckResult): string {
  let out = `${r.verdict.padEnd(5)} ${r.name}: ${r.summary}\n`;
  for (const e of r.evidence ?? []) out += `        ${e}\n`;
  if (r.fix !== undefined) out += `        fix: ${r.fix}${r.cause === undefined ? '' : ` [${r.cause}]`}\n`;
  return out;
}

export async function doctorCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs(
    'doctor',
    args,
    { settings: { type: 'string' }, set: { type: 'string', multiple: true }, tunnelwatch: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const loaded = loadSettingsFor(io, values.settings, values.set ?? []);
  if (!loaded.ok) {
    await write(io.stderr, renderDiagnostics(values.settings ?? 'settings', loaded.diagnostics));
    return EXIT.usage;
  }
  const results = await runDoctor(loaded.settings, { env: io.env, ...(values.tunnelwatch === undefined ? {} : { tunnelwatchUrl: values.tunnelwatch }) });
  const code = doctorExitCode(results);
  if (values.json === true) await write(io.stdout, `${JSON.stringify({ ok: code === 0, checks: results })}\n`);
  else await write(io.stdout, `${results.map(render).join('')}\n${tally(results)}\n`);
  return code;
}
