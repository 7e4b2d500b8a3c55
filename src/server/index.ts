// The public face of src/server/: what the rest of tunnelwatch may use from it.
export { buildServer } from './app.js';
export { parseListen } from './listen.js';
