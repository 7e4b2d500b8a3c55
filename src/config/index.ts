// The public face of src/config/: what the rest of tunnelwatch may use from it.
export { closest } from './closest.js';
export { SETTINGS_CODES, settingsError } from './codes.js';
export { LEAVES } from './leaves.js';
export { loadSettings, type SettingsResult } from './load.js';
export { RULES_RUNBOOK_BASE_URL, type ALERT_NAMES, type Settings } from './schema.js';
export { repeatsOf, type RepeatSettings } from './repeats.js';
export { externalUrl, runbookBaseUrl } from './urls.js';
export { SETTINGS_FILE_ENV, type FlagAssignment } from './sources.js';
export { displaySettings, durationText } from './display.js';
