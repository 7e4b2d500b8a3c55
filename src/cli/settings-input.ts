import { SETTINGS_FILE_ENV } from '../config/sources.js';
import { settingsError } from '../config/codes.js';
import { loadSettings, type SettingsResult } from '../config/load.js';
import { whyUnreadable, type Io } from './io.js';

/** Loads settings for a command: the file from --settings or TUNNELWATCH_SETTINGS, then env, then --set. */
export function loadSettingsFor(io: Io, settingsFile: string | undefined, sets: readonly string[]): SettingsResult {
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
