// Reading the config file as `tunnel run` does before anything else (config.ReadConfigFile, then altsrc):
// an explicit --config that cannot be opened, YAML that does not parse or decode, and flag keys of the
// wrong type end the process with exit 1 and the error on stderr; an empty file is an ERR line and no
// config. Without --config the default directories are searched (config.FindDefaultConfigPath).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseCloudflaredConfig, type CloudflaredConfig } from '../../cloudflared/config/index.js';

export type ConfigLoad =
  | { readonly kind: 'none' }
  | { readonly kind: 'loaded'; readonly path: string; readonly config: CloudflaredConfig; readonly empty: boolean }
  | { readonly kind: 'error'; readonly message: string };

/** config.DefaultConfigSearchDirectories on Linux/macOS, `~` expanded from HOME. */
export function defaultConfigDirs(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? '';
  const dirs = ['/etc/cloudflared', '/usr/local/etc/cloudflared'];
  return home === '' ? dirs : [path.join(home, '.cloudflared'), path.join(home, '.cloudflare-warp'), path.join(home, 'cloudflare-warp'), ...dirs];
}

/** config.FindDefaultConfigPath: the first config.yml / config.yaml in the default directories, or ''. */
export function findDefaultConfigPath(env: NodeJS.ProcessEnv): string {
  for (const dir of defaultConfigDirs(env)) {
    for (const file of ['config.yml', 'config.yaml']) {
      const candidate = path.join(dir, file);
      if (existsSync(candidate)) return candidate;
    }
  }
  return '';
}

function openError(file: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(err);
  return `open ${file}: ${reason}`;
}

/**
 * Reads and decodes the config file. `explicit` is whether --config was given; `flagSetElsewhere` tells
 * whether a flag already has a command-line or env value (then altsrc never reads, nor type-checks, its key).
 */
export function loadConfig(file: string, explicit: boolean, flagSetElsewhere: (name: string) => boolean): ConfigLoad {
  if (file === '') return { kind: 'none' };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return { kind: 'none' };
    return { kind: 'error', message: openError(file, err) };
  }
  const parsed = parseCloudflaredConfig(text, file, { shape: 'local' });
  const unmarshal = (messages: readonly string[]): ConfigLoad => ({
    kind: 'error',
    message: `error parsing YAML in config file at ${file}: yaml: unmarshal errors:\n  ${messages.join('\n  ')}`,
  });
  const syntax = parsed.diagnostics.find((d) => d.code === 'TW_ERR_CONFIG_SYNTAX');
  if (syntax) return { kind: 'error', message: syntax.message };
  const notMapping = parsed.diagnostics.find((d) => d.code === 'TW_ERR_CONFIG_NOT_MAPPING');
  if (notMapping || !parsed.config) return unmarshal([notMapping?.message ?? 'cannot unmarshal into config.configFileSettings']);
  const config = parsed.config;
  const decode = config.issues.filter((i) => i.kind === 'type' || i.kind === 'duration').map((i) => i.message);
  if (decode.length > 0) return unmarshal(decode);
  const flagType = config.issues.find((i) => i.kind === 'flag-type' && !flagSetElsewhere(i.path));
  if (flagType) return { kind: 'error', message: flagType.message };
  const empty = parsed.diagnostics.some((d) => d.code === 'TW_WARN_CONFIG_EMPTY');
  return { kind: 'loaded', path: file, config, empty };
}
