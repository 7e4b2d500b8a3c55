// The help texts urfave/cli prints (to stdout) after "Incorrect Usage" or for --help: the `tunnel run`
// command's custom template (subcommands.go commandHelpTemplate) and the `tunnel` subcommand-app template.
// Flag lines follow urfave's stringifyFlag: `--name value, -n value\tusage (default: "x") [$ENV]`.
import { type FlagDef, HELP_FLAG, RUN_FLAGS, TUNNEL_FLAGS } from './flags.js';

function flagLine(def: FlagDef): string {
  const takesValue = def.kind !== 'bool';
  const names = [def.name, ...def.aliases]
    .map((n) => `${n.length === 1 ? '-' : '--'}${n}${takesValue ? ' value' : ''}`)
    .join(', ');
  let text = `${names}\t${def.usage}`;
  if (def.def !== undefined && def.def !== '') {
    text += def.kind === 'string' ? ` (default: "${def.def}")` : ` (default: ${def.def})`;
  }
  if (def.env.length > 0) text += ` [${def.env.map((e) => `$${e}`).join(', ')}]`;
  return text.replace(/^\s+/, '');
}

const visible = (defs: readonly FlagDef[]): FlagDef[] => defs.filter((d) => !d.hidden);

const RUN_DESCRIPTION = `Runs the tunnel identified by name or UUID, creating highly available connections
  between your server and the Cloudflare edge. You can provide name or UUID of tunnel to run either as the
  last command line argument or in the configuration file using "tunnel: TUNNEL".

  This command requires the tunnel credentials file created when "cloudflared tunnel create" was run,
  however it does not need access to cert.pem from "cloudflared login" if you identify the tunnel by UUID.
  If you experience other problems running the tunnel, "cloudflared tunnel cleanup" may help by removing
  any old connection records.
`;

const PARENT_FLAG_NAMES = [
  'config', 'origincert', 'autoupdate-freq', 'no-autoupdate', 'no-prechecks', 'metrics', 'pidfile',
  'loglevel', 'transport-loglevel', 'logfile', 'log-directory', 'trace-output', 'output',
];

/** `cloudflared tunnel run --help`, and what follows `Incorrect Usage:` for the run command. */
export function runHelp(): string {
  const parent = PARENT_FLAG_NAMES.map((n) => TUNNEL_FLAGS.find((d) => d.name === n))
    .filter((d): d is FlagDef => d !== undefined)
    .map((d) => ` ${flagLine(d)}\n\t`)
    .join('');
  const own = [...visible(RUN_FLAGS), HELP_FLAG].map((d) => `${flagLine(d)}\n\t`).join('');
  return (
    'NAME:\n\tcloudflared tunnel run - Proxy a local web server by running the given tunnel\n\n' +
    'USAGE:\n\tcloudflared tunnel [tunnel command options] run [subcommand options] [TUNNEL]\n\n' +
    `DESCRIPTION:\n\t${RUN_DESCRIPTION}\n` +
    `TUNNEL COMMAND OPTIONS:\n\t${parent}\n` +
    `SUBCOMMAND OPTIONS:\n\t${own}\n`
  );
}

const TUNNEL_COMMANDS: readonly (readonly [string, string])[] = [
  ['login', 'Generate a configuration file with your login details'],
  ['create', 'Create a new tunnel with given name'],
  ['route', 'Define which traffic routed from Cloudflare edge to this tunnel: requests to a DNS hostname, to a Cloudflare Load Balancer, or traffic originating from Cloudflare WARP clients'],
  ['vnet', 'Configure and query virtual networks to manage private IP routes with overlapping IPs.'],
  ['run', 'Proxy a local web server by running the given tunnel'],
  ['list', 'List existing tunnels'],
  ['ready', 'Call /ready endpoint and return proper exit code'],
  ['info', 'List details about the active connectors for a tunnel'],
  ['ingress', 'Validate and test cloudflared tunnel\'s ingress configuration'],
  ['delete', 'Delete existing tunnel by UUID or name'],
  ['cleanup', 'Cleanup tunnel connections'],
  ['token', 'Fetch the credentials token for an existing tunnel (by name or UUID) that allows to run it'],
  ['diag', 'Creates a diagnostic report from a local cloudflared instance'],
  ['help, h', 'Shows a list of commands or help for one command'],
];

/** `cloudflared tunnel --help`, and what follows `Incorrect Usage.` for the tunnel command. */
export function tunnelHelp(): string {
  const commands = TUNNEL_COMMANDS.map(([n, u]) => `\n   ${n}\t${u}`).join('');
  const options = [...visible(TUNNEL_FLAGS), HELP_FLAG].map((d) => flagLine(d)).join('\n   ');
  return (
    'NAME:\n   cloudflared tunnel - Use Cloudflare Tunnel to expose private services to the Internet or to Cloudflare connected private users.\n\n' +
    'USAGE:\n   cloudflared tunnel command [command options]  \n\n' +
    'DESCRIPTION:\n   Cloudflare Tunnel allows to expose private services without opening any ingress port on this machine.\n\n' +
    `COMMANDS:${commands}\n\n` +
    `OPTIONS:\n   ${options}\n   \n`
  );
}

/** `cloudflared --help`, and what follows `Incorrect Usage.` at the top level. */
export function appHelp(version: string): string {
  return (
    "NAME:\n   cloudflared - Cloudflare's command-line tool and agent\n\n" +
    'USAGE:\n   cloudflared [global options] [command] [command options]\n\n' +
    `VERSION:\n   ${version}\n\n` +
    'COMMANDS:\n   update\tUpdate the agent if a new version exists\n   version\tPrint the version\n' +
    '   tunnel\tUse Cloudflare Tunnel to expose private services to the Internet or to Cloudflare connected private users.\n' +
    '   help, h\tShows a list of commands or help for one command\n\n' +
    'GLOBAL OPTIONS:\n   --help, -h\tshow help (default: false)\n   --version, -v, -V\tPrint the version (default: false)\n'
  );
}
