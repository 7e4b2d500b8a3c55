// The public face of src/config/: what the rest of tunnelwatch may use from it.
export { SETTINGS_CODES, settingsError } from './codes.js';
export { LEAVES } from './leaves.js';
export { loadSettings, type SettingsResult } from './load.js';
export { DEFAULT_RUNBOOK_BASE_URL, type ALERT_NAMES, type Settings } from './schema.js';
export { SETTINGS_FILE_ENV } from './sources.js';
