import { homedir } from 'node:os';
import { join } from 'node:path';
import { checkCloudflaredConfig, type CloudflaredConfig } from '../cloudflared/config/index.js';
import type { Diagnostic } from '../base/index.js';
import type { Io } from './io.js';

// cloudflared's own search list when --config is not given (config/configuration.go DefaultConfigSearchDirectories).
export function defaultConfigPaths(): string[] {
  const home = homedir();
  const dirs = [join(home, '.cloudflared'), join(home, '.cloudflare-warp'), join(home, 'cloudflare-warp'), '/etc/cloudflared', '/usr/local/etc/cloudflared'];
  return dirs.flatMap((dir) => [join(dir, 'config.yml'), join(dir, 'config.yaml')]);
}

export type ConfigLookup =
  | { readonly kind: 'checked'; readonly file: string; readonly config?: CloudflaredConfig; readonly diagnostics: Diagnostic[] }
  | { readonly kind: 'unreadable'; readonly file: string }
  | { readonly kind: 'not_found'; readonly searched: readonly string[] };

/** Reads and checks the cloudflared config: the given file, or the first one found where cloudflared looks. */
export function checkConfigFile(io: Io, file: string | undefined): ConfigLookup {
  const candidates = file === undefined ? defaultConfigPaths() : [file];
  for (const candidate of candidates) {
    const text = io.readText(candidate);
    if (text === undefined) continue;
    return { kind: 'checked', file: candidate, ...checkCloudflaredConfig(text, candidate, { readFile: io.readText }) };
  }
  return file === undefined ? { kind: 'not_found', searched: candidates } : { kind: 'unreadable', file };
}
