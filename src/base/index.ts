// The public face of src/base/: what the rest of tunnelwatch may use from it.
export { hasErrors, type CodeInfo, type Diagnostic } from './diagnostic.js';
export { createHttpFetch, type HttpFetchOptions } from './http-fetch.js';
export { requestWhole, type WholeAnswer, type WholeRequest } from './http-request.js';
export { readTextOrUndefined, whyUnreadable } from './input-file.js';
export { replaceFileSync } from './replace-file.js';
export { packageRoot } from './package-root.js';
export { Secret } from './secret.js';
export { VERSION } from './version.js';
export { write } from './write.js';
