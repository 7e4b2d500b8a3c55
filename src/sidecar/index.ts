// The public face of src/sidecar/: what the rest of tunnelwatch may use from it.
export { EMULATOR_BINARY } from './connector-command.js';
export { startEmulatedWorld, type EmulatedWorld } from './emulated-world.js';
export { Sidecar } from './sidecar.js';
