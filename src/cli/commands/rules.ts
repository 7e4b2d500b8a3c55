import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderPrometheusRule, withGroupLabels, withoutWatchdog, withRunbookBase } from '../../alerts/index.js';
import { packageRoot, write } from '../../base/index.js';
import { parseCommandArgs, usageError } from '../args.js';
import { EXIT, type Io } from '../io.js';

export async function rulesCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs('rules', args, { 'runbook-base-url': { type: 'string' }, 'group-labels': { type: 'string' }, 'no-watchdog': { type: 'boolean' }, operator: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, io);
  if (typeof parsed === 'number') return parsed;
  const base = parsed.values['runbook-base-url'];
  if (base !== undefined && !/^https?:\/\/[^/\s]+/.test(base)) {
    return usageError('rules', `--runbook-base-url ${JSON.stringify(base)} is not an http(s) URL; give where your copy of docs/runbooks is served, e.g. https://wiki.example.com/runbooks/tunnelwatch`, io);
  }
  const file = join(packageRoot(), 'alerts', 'tunnelwatch.rules.yaml');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    await write(io.stderr, `tunnelwatch rules: cannot read ${file}: ${(error as Error).message}; reinstall tunnelwatch (the package ships alerts/)\n`);
    return EXIT.failed;
  }
  let rules = base === undefined ? text : withRunbookBase(text, base);
  const group = parsed.values['group-labels'];
  try {
    if (group !== undefined) rules = withGroupLabels(rules, group.split(',').map((l) => l.trim()).filter((l) => l !== ''));
  } catch (error) {
    return usageError('rules', `--group-labels: ${(error as Error).message}`, io);
  }
  if (parsed.values['no-watchdog'] === true) rules = withoutWatchdog(rules);
  await write(io.stdout, parsed.values.operator === true ? renderPrometheusRule(rules) : rules);
  return EXIT.ok;
}
