import type { CodeInfo, Diagnostic } from '../base/index.js';

/** Codes for problems in tunnelwatch's own settings. */
export const SETTINGS_CODES = [
  {
    code: 'TW_ERR_SETTINGS_FILE',
    severity: 'error',
    title: 'Settings file cannot be read',
    fix: 'Check the path given with --settings or TUNNELWATCH_SETTINGS and that tunnelwatch may read it.',
  },
  {
    code: 'TW_ERR_SETTINGS_SYNTAX',
    severity: 'error',
    title: 'Settings file is not valid YAML',
    fix: 'Fix the YAML at the line and column shown; the file must be a mapping of sections such as cloudflared: and server:.',
  },
  {
    code: 'TW_ERR_SETTINGS_UNKNOWN_KEY',
    severity: 'error',
    title: 'Unknown settings key',
    fix: 'Remove the key or correct its spelling; `tunnelwatch settings` lists every valid key.',
  },
  {
    code: 'TW_ERR_SETTINGS_INVALID',
    severity: 'error',
    title: 'Setting has a bad type or value',
    fix: 'Write a value of the expected type; durations are strings such as "30s" or "5m".',
  },
  {
    code: 'TW_ERR_SETTINGS_UNKNOWN_ENV',
    severity: 'error',
    title: 'Unknown TUNNELWATCH_ environment variable',
    fix: 'Unset the variable or correct its name; `tunnelwatch settings` lists every variable.',
  },
  {
    code: 'TW_ERR_SETTINGS_UNKNOWN_FLAG',
    severity: 'error',
    title: 'Bad --set flag',
    fix: 'Write --set section.key=value with a key that `tunnelwatch settings` lists.',
  },
  {
    code: 'TW_ERR_SETTINGS_CONFLICT',
    severity: 'error',
    title: 'Settings contradict each other',
    fix: 'Keep only one of the conflicting settings, as the message says.',
  },
] as const satisfies readonly CodeInfo[];

export type SettingsCode = (typeof SETTINGS_CODES)[number]['code'];

/** Builds a settings error; the fix defaults to the catalogue's advice for the code. */
export function settingsError(code: SettingsCode, path: string, message: string, fix?: string): Diagnostic {
  const info = SETTINGS_CODES.find((c) => c.code === code);
  return { code, severity: 'error', path, message, fix: fix ?? info?.fix ?? '' };
}
