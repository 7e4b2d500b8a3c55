import { type Diagnostic, hasErrors, whyUnreadable, write } from '../../base/index.js';
import { parseCommandArgs } from '../args.js';
import { checkConfigFile } from '../cloudflared-config-input.js';
import { EXIT, type Io } from '../io.js';
import { renderDiagnostics } from '../render-diagnostics.js';
import { loadSettingsFor } from '../settings-input.js';

interface Section {
  readonly file: string;
  readonly diagnostics: readonly Diagnostic[];
}

export async function validateCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs(
    'validate',
    args,
    {
      config: { type: 'string' },
      settings: { type: 'string' },
      set: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    io,
    { max: 0, hint: 'the config goes after --config' },
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const wantSettings = values.settings !== undefined || values.set !== undefined || io.env.TUNNELWATCH_SETTINGS !== undefined;
  let settingsSection: Section | undefined;
  let configFile = values.config;
  if (wantSettings) {
    const result = loadSettingsFor(io, values.settings, values.set ?? []);
    settingsSection = { file: values.settings ?? io.env.TUNNELWATCH_SETTINGS ?? 'settings', diagnostics: result.diagnostics };
    if (result.ok) configFile ??= result.settings.cloudflared.config;
  }

  let cloudflaredSection: Section | undefined;
  let failed = settingsSection !== undefined && hasErrors(settingsSection.diagnostics);
  if (configFile !== undefined || !wantSettings) {
    const lookup = checkConfigFile(io, configFile);
    if (lookup.kind === 'not_found') {
      await write(io.stderr, `tunnelwatch validate: no cloudflared config found; looked in:\n${lookup.searched.map((p) => `  ${p}\n`).join('')}Pass --config FILE.\n`);
      return EXIT.usage;
    }
    if (lookup.kind === 'unreadable') {
      await write(io.stderr, `tunnelwatch validate: cannot read the config: ${whyUnreadable(lookup.file)}\n`);
      return EXIT.failed;
    }
    cloudflaredSection = { file: lookup.file, diagnostics: lookup.diagnostics };
    failed ||= hasErrors(lookup.diagnostics);
  }

  if (values.json === true) {
    await write(io.stdout, `${JSON.stringify({ valid: !failed, cloudflared: cloudflaredSection, settings: settingsSection })}\n`);
  } else {
    for (const section of [cloudflaredSection, settingsSection]) {
      if (section) await write(io.stdout, renderDiagnostics(section.file, section.diagnostics));
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}
