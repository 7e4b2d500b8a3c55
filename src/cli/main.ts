import { VERSION, write } from '../base/index.js';
import { EXIT, processIo, type Io } from './io.js';
import { suggest } from './suggest.js';
import { COMMAND_USAGE, type CommandName } from './usage.js';

export const USAGE = `tunnelwatch ${VERSION} — runs, watches and explains Cloudflare Tunnel connectors (cloudflared)

Usage: tunnelwatch <command> [options]

Commands:
  validate [--config FILE] [--settings FILE] [--set K=V]... [--json]
                      check a cloudflared config (and tunnelwatch's settings when given);
                      exit 0 valid, 1 invalid, 2 usage
  ingress match --config FILE URL
                      which ingress rule a URL reaches, as \`cloudflared tunnel ingress rule\` says
  analyze [--json] [FILE|-]
                      explain a cloudflared log (console or JSON lines, wrapped by journald,
                      docker or kubectl, mixed formats too); reads stdin when FILE is - or absent
  doctor [--settings FILE] [--set K=V]... [--tunnelwatch URL] [--json]
                      check what the troubleshooting of a tunnel asks for from this host (config,
                      token, DNS, TCP/UDP 7844, origins, the running connector), each PASS/WARN/FAIL
                      with the fix; exit 0 nothing failed, 1 a check failed, 2 usage
  incident [--tunnelwatch URL] [--token-file FILE] [--json]
                      ask a running tunnelwatch to write an incident bundle now and print its path
  run [--cloudflared PATH|emulator] [--listen HOST:PORT] [--for DURATION]
                      run cloudflared under supervision and ship every log record (stdout JSON,
                      Loki and syslog through a disk spool); exit 0 clean, 3 killed, 4 crash loop
  settings [--settings FILE] [--set K=V]...
                      print the effective settings (secrets hidden) and every TUNNELWATCH_ variable
  rules [--runbook-base-url URL] [--group-labels L,...] [--no-watchdog] [--operator]
                      print the alerts as Prometheus rules (or a PrometheusRule), with your
                      runbook links, grouping labels and Watchdog choice
  node-zone --out FILE [--node NAME]
                      write the zone label of this pod's node, asked of the Kubernetes API
                      (the init step for identity.zoneFile before Kubernetes 1.33)
  demo [--listen HOST:PORT] [--for DURATION]
                      run tunnelwatch against an emulated tunnel on loopback (API emulator, its
                      own emulated cloudflared plus one more replica, three origins, one dead);
                      status page on http://127.0.0.1:9330/ — \`npm start\` runs this
  emulate cloudflared|api ...
                      run the cloudflared emulator or the Cloudflare API emulator on their own
  version             print the version
  help [COMMAND]      print this help, or the options of one command

Settings come from defaults < --settings FILE (or TUNNELWATCH_SETTINGS) < TUNNELWATCH_* variables < --set.
A usage error (an unknown command or flag, a flag without its value) exits 2.
Docs: README.md, docs/errors.md (every error and warning code with its fix).
`;

type Command = (args: readonly string[], io: Io) => Promise<number>;

// Each command's module loads only when it runs: `validate` need not pay for the Cloudflare SDK, fastify and
// the emulators in memory and start-up time.
const COMMANDS: Readonly<Record<CommandName, Command>> = {
  validate: async (args, io) => (await import('./commands/validate.js')).validateCommand(args, io),
  ingress: async (args, io) => (await import('./commands/ingress.js')).ingressCommand(args, io),
  analyze: async (args, io) => (await import('./commands/analyze.js')).analyzeCommand(args, io),
  doctor: async (args, io) => (await import('./commands/doctor.js')).doctorCommand(args, io),
  incident: async (args, io) => (await import('./commands/incident.js')).incidentCommand(args, io),
  run: async (args, io) => (await import('./commands/run.js')).runCommand(args, io),
  settings: async (args, io) => (await import('./commands/settings.js')).settingsCommand(args, io),
  rules: async (args, io) => (await import('./commands/rules.js')).rulesCommand(args, io),
  'node-zone': async (args, io) => (await import('./commands/node-zone.js')).nodeZoneCommand(args, io),
  demo: async (args, io) => (await import('./commands/demo.js')).demoCommand(args, io),
  emulate: async (args, io) => (await import('./commands/emulate.js')).emulateCommand(args, io),
  version: async (_args, io) => {
    await write(io.stdout, `tunnelwatch ${VERSION}\n`);
    return EXIT.ok;
  },
};

const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

async function unknownCommand(name: string, io: Io): Promise<number> {
  const hint = suggest(name, [...Object.keys(COMMANDS), 'help']);
  await write(io.stderr, `tunnelwatch: unknown command ${JSON.stringify(name)}${hint === undefined ? '' : `; did you mean ${JSON.stringify(hint)}?`}\n\n${USAGE}`);
  return EXIT.usage;
}

/** `help [COMMAND]`: the top-level help, or one command's usage (from usage.ts, so the command is not loaded). */
async function help(args: readonly string[], io: Io): Promise<number> {
  const [name, extra] = args;
  if (extra !== undefined) {
    await write(io.stderr, `tunnelwatch help: unexpected argument ${JSON.stringify(extra)}; write \`tunnelwatch help COMMAND\`\n`);
    return EXIT.usage;
  }
  if (name !== undefined && name !== 'help' && name !== '--help' && name !== '-h') {
    if (!isCommand(name)) return unknownCommand(name, io);
    await write(io.stdout, COMMAND_USAGE[name]);
    return EXIT.ok;
  }
  await write(io.stdout, USAGE);
  return EXIT.ok;
}

/** Runs the command line and returns the exit code; never throws for user input. */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    await write(io.stderr, USAGE);
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') return help(rest, io);
  if (name === '--version') return COMMANDS.version(rest, io);
  return isCommand(name) ? COMMANDS[name](rest, io) : unknownCommand(name, io);
}
