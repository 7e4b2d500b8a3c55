// The start-up lines of `cloudflared tunnel run` before any edge dial: build info, settings, autoupdate,
// connector ID, ingress warning, initial protocol and the ICMP proxy sources (cmd/cloudflared/tunnel/
// subcommand_context.go, cmd.go StartServer, configuration.go, cliutil/build_info.go, updater/update.go).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { GO_VERSION } from './go-runtime.js';
import type { EmulatorLogger } from './logger.js';

export const GO_ARCH = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
export const GO_OS = process.platform === 'win32' ? 'windows' : process.platform;

/** config.DefaultConfigSearchDirectories() as Go prints the slice. */
export const NO_CONFIG_DIRS = '[~/.cloudflared ~/.cloudflare-warp ~/cloudflare-warp /etc/cloudflared /usr/local/etc/cloudflared]';
export const NO_CONFIG_MESSAGE = `Cannot determine default configuration path. No file [config.yml config.yaml] in ${NO_CONFIG_DIRS}`;
export const NO_INGRESS_MESSAGE =
  'No ingress rules were defined in provided config (if any) nor from the cli, cloudflared will return 503 for all incoming HTTP requests';
const NO_UPDATE_IN_SHELL =
  'cloudflared will not automatically update when run from the shell. To enable auto-updates, run cloudflared as a service: https://developers.cloudflare.com/cloudflare-one/connections/connect-apps/configure-tunnels/local-management/as-a-service/';
const NO_UPDATE_MANAGED = 'cloudflared will not automatically update if installed by a package manager.';

/** sha256 of the running "binary" (the emulator's entry script), as currentBinaryChecksum does. */
export function binaryChecksum(): string {
  try {
    return createHash('sha256').update(readFileSync(process.argv[1] ?? '')).digest('hex');
  } catch {
    return '';
  }
}

/** BuildInfo.Log. */
export function logBuildInfo(log: EmulatorLogger, version: string): void {
  log.emit('info', `Version ${version} (Checksum ${binaryChecksum()})`);
  log.emit('info', `GOOS: ${GO_OS}, GOVersion: ${GO_VERSION}, GoArch: ${GO_ARCH}`);
}

/** createUpdateConfig: which autoupdate line, if any, NewAutoUpdater logs. */
export function logAutoupdate(log: EmulatorLogger, noAutoupdate: boolean, freqMs: number, stdoutIsTty: boolean): void {
  if (existsSync('/usr/local/etc/cloudflared/.installedFromPackageManager')) {
    log.emit('info', NO_UPDATE_MANAGED);
    return;
  }
  if (stdoutIsTty) {
    log.emit('info', NO_UPDATE_IN_SHELL);
    return;
  }
  if (!noAutoupdate && freqMs !== 0) log.emit('info', 'Autoupdate frequency is set', [['autoupdateFreq', freqMs]]);
}

export interface IcmpSources {
  readonly ipv4: string;
  readonly ipv6: string;
  readonly zone: string;
}

/** determineICMPSources without user-defined sources: the default-route IPv4 and an IPv6 of its interface. */
export function icmpSources(v4Flag: string, v6Flag: string): IcmpSources {
  const ifaces = Object.entries(networkInterfaces());
  const external = ifaces.flatMap(([name, addrs]) => (addrs ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => ({ name, address: a.address })));
  const ipv4 = v4Flag !== '' ? v4Flag : (external[0]?.address ?? '0.0.0.0');
  if (v6Flag !== '') return { ipv4, ipv6: v6Flag.split('%')[0] ?? v6Flag, zone: v6Flag.split('%')[1] ?? '' };
  const ownIface = ifaces.find(([, addrs]) => (addrs ?? []).some((a) => a.address === ipv4));
  const own6 = ownIface?.[1]?.find((a) => a.family === 'IPv6');
  if (ownIface && own6) return { ipv4, ipv6: own6.address, zone: ownIface[0] };
  for (const [name, addrs] of ifaces) {
    const v6 = (addrs ?? []).find((a) => a.family === 'IPv6');
    if (v6) return { ipv4, ipv6: v6.address, zone: name };
  }
  return { ipv4, ipv6: '::', zone: '' };
}

export function logIcmpSources(log: EmulatorLogger, sources: IcmpSources): void {
  log.emit('info', `ICMP proxy will use ${sources.ipv4} as source for IPv4`);
  log.emit(
    'info',
    sources.zone === '' ? `ICMP proxy will use ${sources.ipv6} as source for IPv6` : `ICMP proxy will use ${sources.ipv6} in zone ${sources.zone} as source for IPv6`,
  );
}

/** testPermission (ingress/icmp_linux.go): unprivileged ICMP sockets need the GID in ping_group_range. */
export function logIcmpRouter(log: EmulatorLogger): void {
  if (process.platform !== 'linux') return;
  let range: string;
  try {
    range = readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8');
  } catch {
    return;
  }
  const [min = 1, max = 0] = range.trim().split(/\s+/).map(Number);
  const gid = process.getegid?.() ?? 0;
  if (gid >= min && gid <= max) return;
  const reason = `Group ID ${String(gid)} is not between ping group ${String(min)} to ${String(max)}`;
  log.emit('warn', 'The user running cloudflared process has a GID (group ID) that is not within ping_group_range. You might need to add that user to a group within that range, or instead update the range to encompass a group the user is already in by modifying /proc/sys/net/ipv4/ping_group_range. Otherwise cloudflared will not be able to ping this network', [['error', reason]]);
  log.emit('warn', 'ICMP proxy feature is disabled', [['error', `cannot create ICMPv4 proxy: ${reason} nor ICMPv6 proxy: socket: permission denied`]]);
}
