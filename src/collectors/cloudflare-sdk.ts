// The `cloudflare` SDK, loaded through its CommonJS build on first use. Its client imports every resource module
// (about 1,900 files) whatever is used, and its `tree-shakable` entry imports that same client, so only a bundler
// could leave them out. Loaded with require, the SDK costs 37 MB of RSS; through Node's ESM loader, 54 MB
// (measured on Node 20.20 against a bare Node of 41 MB). The types still come from the package's declarations.
import { createRequire } from 'node:module';
import type * as Sdk from 'cloudflare';

let loaded: typeof Sdk | undefined;

/** The SDK module (its default export is the client class); required once, when first asked for. */
export function cloudflareSdk(): typeof Sdk {
  loaded ??= createRequire(import.meta.url)('cloudflare') as typeof Sdk;
  return loaded;
}
