// The public face of src/go/: what the rest of tunnelwatch may use from it.
export { formatGoDuration, parseGoDuration } from './duration.js';
export { findClosingQuote, goQuote, unquoteGo } from './quote.js';
export { compileGoRegexp, goMatchString } from './regexp.js';
export { goSplitHostPort, goUrlHostname, goUrlPort, parseGoUrl } from './url.js';
