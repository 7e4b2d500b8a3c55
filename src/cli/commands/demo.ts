import { join, relative } from 'node:path';
import { EXIT, write, type Io } from '../io.js';
import { packageRoot } from '../package-root.js';
import { analyzeCommand } from './analyze.js';
import { ingressCommand } from './ingress.js';
import { validateCommand } from './validate.js';

const USAGE = `Usage: tunnelwatch demo

Runs validate, ingress match and analyze on the examples bundled in examples/, so a new user sees what
tunnelwatch reports without a tunnel, a token or cloudflared installed.
`;

export async function demoCommand(args: readonly string[], io: Io): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    await write(io.stdout, USAGE);
    return EXIT.ok;
  }
  if (args.length > 0) {
    await write(io.stderr, `tunnelwatch demo: takes no arguments\n\n${USAGE}`);
    return EXIT.usage;
  }
  const root = packageRoot();
  const example = (path: string) => relative(process.cwd(), join(root, 'examples', path)) || '.';
  const good = example('cloudflared/config.yml');
  const steps: [string, (args: readonly string[], io: Io) => Promise<number>, string[]][] = [
    ['validate', validateCommand, ['--config', good]],
    ['validate', validateCommand, ['--config', example('cloudflared/config-with-problems.yml')]],
    ['ingress match', ingressCommand, ['match', '--config', good, 'https://api.example.com/v1/orders?id=7']],
    ['ingress match', ingressCommand, ['match', '--config', good, 'https://pr-42.preview.example.com/']],
    ['analyze', analyzeCommand, [example('logs/cloudflared-incident.log')]],
  ];
  await write(io.stdout, 'tunnelwatch demo: the foundation commands on the bundled examples\n');
  for (const [name, run, stepArgs] of steps) {
    const shown = name === 'ingress match' ? stepArgs.slice(1) : stepArgs;
    await write(io.stdout, `\n$ tunnelwatch ${name} ${shown.join(' ')}\n`);
    const code = await run(stepArgs, io);
    await write(io.stdout, `(exit code ${String(code)})\n`);
  }
  return EXIT.ok;
}
