import { write } from '../../base/index.js';
import { type CheckResult, doctorExitCode, runDoctor, tally } from '../../doctor/index.js';
import { parseCommandArgs } from '../args.js';
import { EXIT, type Io } from '../io.js';
import { renderDiagnostics } from '../render-diagnostics.js';
import { loadSettingsFor } from '../settings-input.js';

const USAGE = `Usage: tunnelwatch doctor [--settings FILE] [--set K=V]... [--tunnelwatch URL] [--json]

Checks, from this host, what the troubleshooting of a tunnel asks for, each PASS, WARN, FAIL or SKIP with what
was seen and the fix: the cloudflared config (the lint), the token and which tunnel it names, proxy variables,
the metrics address (free, or served by the running cloudflared), the clock, DNS of the edge (SRV and region
names), TCP and UDP 7844 and TCP 443 to the edge (or the --edge addresses in cloudflared.extraArgs), every
origin of the ingress rules (with TLS details), and the running connector's /ready, /metrics and /config.
It reads the same settings as \`run\`; it starts nothing and changes nothing.

  --settings FILE       tunnelwatch settings (or TUNNELWATCH_SETTINGS)
  --set K=V             override one setting (repeatable)
  --tunnelwatch URL     also read the diagnosis of a running tunnelwatch (e.g. http://127.0.0.1:9464)
  --json                print {"ok": bool, "checks": [...]}

Exit status: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage or settings error.
`;

function render(r: CheckResult): string {
  let out = `${r.verdict.padEnd(5)} ${r.name}: ${r.summary}\n`;
  for (const e of r.evidence ?? []) out += `        ${e}\n`;
  if (r.fix !== undefined) out += `        fix: ${r.fix}${r.cause === undefined ? '' : ` [${r.cause}]`}\n`;
  return out;
}

export async function doctorCommand(args: readonly string[], io: Io): Promise<number> {
  const parsed = await parseCommandArgs(
    args,
    { settings: { type: 'string' }, set: { type: 'string', multiple: true }, tunnelwatch: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length > 0) {
    await write(io.stderr, `tunnelwatch doctor: unexpected argument ${parsed.positionals[0] ?? ''}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values } = parsed;
  const loaded = loadSettingsFor(io, values.settings, values.set ?? []);
  if (!loaded.ok) {
    await write(io.stderr, renderDiagnostics(values.settings ?? 'settings', loaded.diagnostics));
    return EXIT.usage;
  }
  const results = await runDoctor(loaded.settings, { env: io.env, ...(values.tunnelwatch === undefined ? {} : { tunnelwatchUrl: values.tunnelwatch }) });
  const code = doctorExitCode(results);
  if (values.json === true) await write(io.stdout, `${JSON.stringify({ ok: code === 0, checks: results })}\n`);
  else await write(io.stdout, `${results.map(render).join('')}\n${tally(results)}\n`);
  return code;
}
