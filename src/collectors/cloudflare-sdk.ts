// The `cloudflare` SDK's client core and its cloudflared tunnel resource, without the other ~1,900 resource modules.
// The SDK's client module names every resource at its top (its `tree-shakable` entry imports that same module), so
// loading it costs 37 MB of RSS through require and 54 MB through Node's ESM loader, of which tunnelwatch uses two
// calls. Only a bundler could drop the rest; here, before the client module is required, each resource module it
// names directly is put in require's cache as an empty stand-in. The client's own code (auth, requests, timeouts,
// errors) and the tunnel resource's are the SDK's, unchanged. Measured on Node 20.20: 11 MB instead of 39 MB.
// The trade-off: this leans on the client module's shape (it requires `./resources/...` paths and exports
// BaseCloudflare), which an SDK upgrade may change; loading checks that shape and fails naming the version. The
// stand-ins leave the cache once the client module is loaded, so nothing else in the process sees them.
import { readFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Sdk from 'cloudflare';
import type { Cloudflared } from 'cloudflare/resources/zero-trust/tunnels/cloudflared/cloudflared';

export interface TunnelSdk {
  /** The client without resources: its options, auth, request and error handling are the full client's. */
  readonly BaseCloudflare: typeof Sdk.BaseCloudflare;
  /** `client.zeroTrust.tunnels.cloudflared` of the full client, made on a BaseCloudflare. */
  readonly Cloudflared: typeof Cloudflared;
  readonly APIError: typeof Sdk.APIError;
  readonly APIConnectionError: typeof Sdk.APIConnectionError;
  readonly APIConnectionTimeoutError: typeof Sdk.APIConnectionTimeoutError;
  readonly APIUserAbortError: typeof Sdk.APIUserAbortError;
}

const require = createRequire(import.meta.url);
let loaded: TunnelSdk | undefined;

/** What every unused resource becomes: the client constructs one per resource and never calls it. */
function Unused(): void {
  // Nothing: a constructor the client may call with `new`.
}

/** A module whose every export is Unused. */
function standIn(file: string): Module {
  const mod = new Module(file);
  mod.filename = file;
  mod.loaded = true;
  mod.exports = new Proxy({}, { get: (_target, key) => (key === '__esModule' ? true : Unused) });
  return mod;
}

function load(): TunnelSdk {
  const clientFile = require.resolve('cloudflare/client');
  const root = dirname(clientFile);
  const version = (require(join(root, 'package.json')) as { version: string }).version;
  const resources = [...readFileSync(clientFile, 'utf8').matchAll(/require\("(\.\/resources\/[^"]+)"\)/g)].map((m) => join(root, m[1] ?? ''));
  const standIns = resources.filter((file) => require.cache[file] === undefined);
  for (const file of standIns) require.cache[file] = standIn(file);
  const client = require(clientFile) as Partial<typeof Sdk>;
  // Out of the cache again: a later require of the whole SDK gets a whole client, not one built on stand-ins.
  for (const file of [...standIns, clientFile]) Reflect.deleteProperty(require.cache, file);
  const errors = require(join(root, 'core', 'error.js')) as typeof Sdk;
  const tunnels = require(join(root, 'resources', 'zero-trust', 'tunnels', 'cloudflared', 'cloudflared.js')) as { Cloudflared?: typeof Cloudflared };
  const { BaseCloudflare } = client;
  const { Cloudflared: CloudflaredResource } = tunnels;
  if (resources.length === 0 || typeof BaseCloudflare !== 'function' || typeof CloudflaredResource?.prototype.get !== 'function') {
    throw new Error(`the cloudflare SDK ${version} is not shaped as tunnelwatch loads it (client.js requiring ./resources/..., BaseCloudflare, resources/zero-trust/tunnels/cloudflared); install the version in tunnelwatch's package-lock.json`);
  }
  return { BaseCloudflare, Cloudflared: CloudflaredResource, APIError: errors.APIError, APIConnectionError: errors.APIConnectionError, APIConnectionTimeoutError: errors.APIConnectionTimeoutError, APIUserAbortError: errors.APIUserAbortError };
}

/** The SDK's client core and tunnel resource; loaded once, when first asked for. */
export function tunnelSdk(): TunnelSdk {
  loaded ??= load();
  return loaded;
}

/** A client for one API token and base URL, with the `cloudflared` tunnel resource on it. */
export function tunnelClient(options: ConstructorParameters<typeof Sdk.BaseCloudflare>[0]): Cloudflared {
  const sdk = tunnelSdk();
  return new sdk.Cloudflared(new sdk.BaseCloudflare(options));
}
