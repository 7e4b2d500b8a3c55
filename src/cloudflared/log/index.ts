// The public face of src/cloudflared/log/: what the rest of tunnelwatch may use from it.
export { salvageCutJson } from './cut.js';
export type { FieldValue, LogEvent, LogLevel } from './event.js';
export { parseJsonObject } from './json.js';
export { errorText } from './last-error.js';
export { parseLogLine } from './line.js';
export { JsonMender } from './mend.js';
export { repeatKey } from './repeat-key.js';
export { formatConsoleJson, formatConsoleLine, formatFileJson, goJsonString, type WriteLevel } from './writer.js';
