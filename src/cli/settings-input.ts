import { type FlagAssignment, loadSettings, SETTINGS_FILE_ENV, settingsError, type SettingsResult } from '../config/index.js';
import { type Io } from './io.js';
import { whyUnreadable } from '../base/index.js';

/** Loads settings for a command: the file from --settings or TUNNELWATCH_SETTINGS, then env, then --set. */
export function loadSettingsFor(io: Io, settingsFile: string | undefined, sets: readonly (string | FlagAssignment)[]): SettingsResult {
  const name = settingsFile ?? io.env[SETTINGS_FILE_ENV];
  if (name === undefined || name === '') return loadSettings({ env: io.env, sets });
  const text = io.readText(name);
  if (text === undefined) {
    return {
      ok: false,
      diagnostics: [settingsError('TW_ERR_SETTINGS_FILE', '', `cannot read the settings file: ${whyUnreadable(name)}`)],
    };
  }
  return loadSettings({ file: { text, name }, env: io.env, sets });
}
