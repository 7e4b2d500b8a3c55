// README.md's quick starts, followed as written: test/helpers/quickstart.ts reads the commands from the README itself,
// so an edit that breaks a recipe fails here. Each recipe is held to the files it uses (the kustomize overlay and the
// Secret its Deployment reads, the systemd unit and what gets installed where, the Dockerfile) and its `curl` to the
// server it reaches. The on-host recipe also runs for real against the real cloudflared (test/real/quickstart.test.ts).
// There is no Docker engine on this machine, so the Docker recipe is checked statically only.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, normalize, posix, relative } from 'node:path';
import { promisify } from 'node:util';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IContainer, INamespace, IPodSpec } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEAVES, loadSettings, SETTINGS_FILE_ENV, type FlagAssignment, type Settings } from '../src/config/index.js';
import { buildServer, parseListen } from '../src/server/index.js';
import { BIN, ROOT } from './helpers/cli.js';
import { envPairs, parseDockerfile, stages } from './helpers/dockerfile.js';
import { fixtureRegistry, healthySnapshot } from './helpers/health-snapshots.js';
import { containerEnv, hasKubectl, KUBERNETES_DIR, kustomize, loadManifests } from './helpers/kubernetes-manifests.js';
import {
  commandOf,
  expand,
  killOf,
  option,
  options,
  quickStarts,
  quickStartSection,
  recipeRunning,
  type Command,
  type Recipe,
} from './helpers/quickstart.js';

const recipes = quickStarts();
const local = recipeRunning(recipes, './bin/tunnelwatch');
const docker = recipeRunning(recipes, 'docker');
const kube = recipeRunning(recipes, 'kubectl');
const systemd = recipeRunning(recipes, 'systemctl');

/** Read by tunnelwatch besides its own settings (src/config/load.ts; the README's Settings section, identity.replica). */
const WELL_KNOWN = ['TUNNEL_TOKEN', 'TUNNEL_TOKEN_FILE', 'CLOUDFLARE_API_TOKEN', 'HOSTNAME'];
const SETTING_VARIABLES = new Set([...LEAVES.map((l) => l.env), SETTINGS_FILE_ENV]);
const TOKEN_FILE_VAR = 'TUNNELWATCH_CLOUDFLARED_TOKEN_FILE';
/** What an operator's shell would expand: the recipes run from the checkout. */
const SHELL = { PWD: '.' };

function settingsOf(env: Readonly<Record<string, string>>, sets: readonly (string | FlagAssignment)[] = []): Settings {
  const result = loadSettings({ env, sets });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  return result.settings;
}

/** KEY=VALUE lines of an environment file (comments and blanks skipped). */
function envFile(path: string): Record<string, string> {
  const lines = readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** What a tunnelwatch with these server settings answers to GET `path`, the health fixture as its state. */
async function answer(server: Settings['server'], path: string): Promise<number> {
  const app = buildServer({ snapshot: healthySnapshot, registry: fixtureRegistry(), server, now: () => 0 });
  try {
    return (await app.inject(path)).statusCode;
  } finally {
    await app.close();
  }
}

/** The URL of the recipe's `curl` (curl takes a bare host:port/path as http). */
function curlUrl(recipe: Recipe): URL {
  const curl = commandOf(recipe, 'curl', (a) => a[0] === 'curl');
  const [url] = options(curl.argv.slice(1), ['-s', '-S', '-f', '-sS', '-fsS']).operands;
  return new URL(/^\w+:\/\//.test(url ?? '') ? (url ?? '') : `http://${url ?? ''}`);
}

/** Whether a server listening on `listen` gets what is sent to `url` on the same host. */
function reaches(listen: string, url: URL): boolean {
  const { host, port } = parseListen(listen);
  return String(port) === url.port && (host === '0.0.0.0' || host === '::' || host === url.hostname);
}

const dockerRun = commandOf(docker, 'docker run', (a) => a[0] === 'docker' && a[1] === 'run');
const runOptions = options(dockerRun.argv.slice(2), ['-d', '--detach', '--read-only', '--rm', '--init', '-i', '-t', '-it']);
/** `docker run -e NAME=value` and `--env`; a bare NAME passes the host's value, unknown here. */
const dockerEnv = Object.fromEntries(
  [...(runOptions.values.get('-e') ?? []), ...(runOptions.values.get('--env') ?? [])].map((e) => [e.split('=')[0] ?? '', e.includes('=') ? e.slice(e.indexOf('=') + 1) : '']),
);
const volumes = [...(runOptions.values.get('-v') ?? []), ...(runOptions.values.get('--volume') ?? [])].map((v) => {
  const [source = '', target = '', mode = ''] = v.split(':');
  return { source, target, mode };
});

const installs = systemd.commands.filter((c) => c.argv[0] === 'install').map((c) => ({ command: c, parsed: options(c.argv.slice(1), ['-d']) }));
const copies = installs.filter((i) => !i.parsed.values.has('-d')).map((i) => ({ source: i.parsed.operands[0] ?? '', target: i.parsed.operands[1] ?? '', mode: option(i.parsed, '-m') }));

/** Every variable a recipe sets for tunnelwatch: before a command, `export`, `docker run -e`, and the env files it installs. */
function variablesSet(recipe: Recipe): string[] {
  return recipe.commands.flatMap((c) => [
    ...Object.keys(c.env),
    ...(c.argv[0] === 'export' ? c.argv.slice(1).map((a) => a.split('=')[0] ?? '') : []),
    ...(c === dockerRun ? Object.keys(dockerEnv) : []),
    ...(c.argv[0] === 'install' ? c.argv.filter((a) => !a.startsWith('/') && a.endsWith('.env')).flatMap((a) => Object.keys(envFile(join(ROOT, a)))) : []),
  ]);
}

const UNIT = readFileSync(join(ROOT, 'deploy', 'systemd', 'tunnelwatch.service'), 'utf8');
const unitValue = (key: string): string => new RegExp(`^${key}=(.*)$`, 'm').exec(UNIT)?.[1] ?? '';
const credentialSource = unitValue('LoadCredential').split(':')[1] ?? '';

describe('README quick starts', () => {
  it('are four sh blocks of 3 to 8 lines, each under a one-line lead that links docs/deploy.md', () => {
    expect(new Set([local, docker, kube, systemd]).size).toBe(recipes.length);
    expect(recipes).toHaveLength(4);
    const slugs = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8').split('\n').filter((l) => /^#{1,6} /.test(l))
      .map((h) => h.replace(/^#+ /, '').toLowerCase().replace(/[^\w\- ]/g, '').replaceAll(' ', '-'));
    for (const r of recipes) {
      expect(r.lines.length, r.lines[0]).toBeGreaterThanOrEqual(3);
      expect(r.lines.length, r.lines[0]).toBeLessThanOrEqual(8);
      expect(r.intro, r.lines[0]).not.toContain('\n');
      const link = /\]\(docs\/deploy\.md(?:#([\w-]+))?\)/.exec(r.intro);
      expect(link, r.intro).not.toBeNull();
      if (link?.[1] !== undefined) expect(slugs, r.intro).toContain(link[1]);
    }
  });

  it('set only tunnelwatch settings and the well-known variables it honours, and name only real settings', () => {
    const set = recipes.flatMap(variablesSet);
    expect(set).toContain(TOKEN_FILE_VAR);
    for (const name of set) expect(SETTING_VARIABLES.has(name) || WELL_KNOWN.includes(name), name).toBe(true);
    // The allowance holds only for names tunnelwatch really reads: each one changes what the settings load to.
    const unset = JSON.stringify(loadSettings({ env: {} }));
    for (const name of WELL_KNOWN) expect(JSON.stringify(loadSettings({ env: { [name]: 'sample' } })), name).not.toBe(unset);
    // Named in a comment or a lead, a misspelt variable misleads just the same.
    for (const [name] of quickStartSection().matchAll(/\bTUNNELWATCH_[A-Z0-9_]+\b/g)) expect(SETTING_VARIABLES.has(name), name).toBe(true);
  });

  it('give the tunnel token as the same ./tunnel-token file, never as a value, kept out of the image build', () => {
    const set = recipes.flatMap(variablesSet);
    expect(set).not.toContain('TUNNELWATCH_CLOUDFLARED_TOKEN');
    expect(set).not.toContain('TUNNEL_TOKEN');
    const tokenFiles = [
      expand(local.commands.find((c) => c.env[TOKEN_FILE_VAR] !== undefined)?.env[TOKEN_FILE_VAR] ?? '', SHELL),
      expand(volumes.find((v) => v.target === dockerEnv[TOKEN_FILE_VAR])?.source ?? '', SHELL),
      ...kube.commands.flatMap((c) => options(c.argv.slice(1)).values.get('--from-file') ?? []).map((f) => f.slice(f.indexOf('=') + 1)),
      copies.find((c) => c.target === credentialSource)?.source ?? '',
    ].map(normalize);
    expect(new Set(tokenFiles)).toEqual(new Set(['tunnel-token']));
    expect(quickStartSection().trim().split(/\n\s*\n/)[0]).toContain('`./tunnel-token`');
    // `docker build .` from the same checkout must never send the token to the daemon.
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('**/'));
    const glob = (pattern: string) => new RegExp(`^${pattern.slice(3).replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*')}$`);
    expect(ignored.some((p) => glob(p).test('tunnel-token'))).toBe(true);
  });
});

describe('quick start on this host', () => {
  const run = commandOf(local, './bin/tunnelwatch run', (a) => a[0] === './bin/tunnelwatch' && a[1] === 'run');
  /** `run`'s flags as the settings they stand for (src/cli/commands/run.ts). */
  const sets = (args: readonly string[]): FlagAssignment[] => {
    const parsed = options(args);
    const flags: Record<string, string> = { '--listen': 'server.listen', '--cloudflared': 'cloudflared.binary' };
    return [...parsed.values].flatMap(([flag, values]) => {
      const path = flags[flag];
      if (path === undefined) throw new Error(`the quick start's ${flag} is not known to this test`);
      return values.map((v) => ({ set: `${path}=${v}`, flag }));
    });
  };

  it('starts tunnelwatch in the background with the token file and stops that job with SIGTERM', () => {
    expect(join(ROOT, run.argv[0] ?? '')).toBe(BIN);
    expect(run.background).toBe(true);
    expect(run.env[TOKEN_FILE_VAR]).toBeDefined();
    const kill = killOf(commandOf(local, 'kill', (a) => a[0] === 'kill'));
    expect(kill.job).toBe(`%${String(local.commands.filter((c) => c.background).indexOf(run) + 1)}`);
    expect(kill.signal).toBe('SIGTERM');
  });

  it('its curl reaches the listen address, where /status answers without a bearer token', async () => {
    const expanded = Object.fromEntries(Object.entries(run.env).map(([k, v]) => [k, expand(v, SHELL)]));
    const settings = settingsOf(expanded, sets(run.argv.slice(2)));
    const url = curlUrl(local);
    expect(url.pathname).toBe('/status');
    expect(reaches(settings.server.listen, url), settings.server.listen).toBe(true);
    expect(await answer(settings.server, url.pathname)).toBe(200);
  });
});

describe('quick start in Docker (static: no Docker engine here)', () => {
  const build = commandOf(docker, 'docker build', (a) => a[0] === 'docker' && a[1] === 'build');
  const buildOptions = options(build.argv.slice(2));
  const dockerfile = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const final = stages(dockerfile).at(-1)?.instructions ?? [];
  const last = (keyword: string) => final.filter((i) => i.keyword === keyword).map((i) => i.args);
  const imageEnv = Object.assign({}, ...last('ENV').map(envPairs)) as Record<string, string>;
  const settings = settingsOf({ ...imageEnv, ...dockerEnv });

  it('runs the image docker build tags, built from this checkout with its Dockerfile', () => {
    expect(buildOptions.operands).toEqual(['.']);
    expect(option(buildOptions, '-f', '--file')).toBeUndefined();
    expect(runOptions.operands[0]).toBe(option(buildOptions, '-t', '--tag'));
    expect(runOptions.operands.slice(1)).toEqual([]);
  });

  it("keeps the spool in a volume at the Dockerfile's VOLUME, where logs.spoolDir points", () => {
    const spool = volumes.filter((v) => !v.source.includes('/'));
    expect(spool.map((v) => v.target)).toEqual(last('VOLUME'));
    expect(spool.map((v) => v.target)).toEqual([settings.logs.spoolDir]);
  });

  it('publishes the EXPOSEd listen port, and its curl gets an answer without a bearer token', async () => {
    const [host, container] = (option(runOptions, '-p', '--publish') ?? '').split(':');
    expect(last('EXPOSE')).toEqual([container]);
    expect(String(parseListen(settings.server.listen).port)).toBe(container);
    const url = curlUrl(docker);
    expect(url.port).toBe(host);
    expect(await answer(settings.server, url.pathname)).toBe(200);
  });

  it("mounts the token file read-only where TUNNELWATCH_CLOUDFLARED_TOKEN_FILE points, readable by the image's user", () => {
    const mount = volumes.find((v) => v.target === settings.cloudflared.tokenFile);
    expect(mount?.mode).toBe('ro');
    const user = Number(last('USER').at(-1)?.split(':')[0]);
    expect(user).toBeGreaterThan(0);
    // The host file belongs to the operator, not to that user: only "others" bits let it read.
    const chmod = commandOf(docker, 'chmod', (a) => a[0] === 'chmod');
    expect(normalize(chmod.argv[2] ?? '')).toBe(normalize(expand(mount?.source ?? '', SHELL)));
    expect(Number.parseInt(chmod.argv[1] ?? '', 8) & 0o004).toBe(0o004);
  });

  it("gives docker stop longer than cloudflared's grace period", () => {
    expect(Number(option(runOptions, '--stop-timeout')) * 1000).toBeGreaterThanOrEqual(settings.cloudflared.gracePeriod + 10_000);
  });
});

/** Secrets the recipe creates: name to key to the file or literal it comes from. */
function secretsCreated(): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const c of kube.commands.filter((k) => k.argv.includes('secret'))) {
    const parsed = options(c.argv.slice(1));
    const name = parsed.operands.at(-1) ?? '';
    const keys = new Map<string, string>();
    for (const from of [...(parsed.values.get('--from-file') ?? []), ...(parsed.values.get('--from-literal') ?? [])]) {
      const eq = from.indexOf('=');
      keys.set(eq < 0 ? basename(from) : from.slice(0, eq), eq < 0 ? from : from.slice(eq + 1));
    }
    out.set(name, keys);
  }
  return out;
}

describe('quick start on Kubernetes', () => {
  const kubectl = (c: Command) => options(c.argv.slice(1));
  const apply = commandOf(kube, 'kubectl apply -k', (a) => a[1] === 'apply');
  const overlay = join(ROOT, option(kubectl(apply), '-k', '--kustomize') ?? '');
  const secrets = secretsCreated();
  interface Rendered {
    readonly deployment: IDeployment;
    /** The Deployment's namespace. */
    readonly namespace: string | undefined;
    /** The Namespace objects it creates. */
    readonly namespaces: readonly string[];
  }
  let built: Rendered | undefined;
  /**
   * What `kubectl apply -k` creates: kubectl's own rendering, or without kubectl (the fallback of the other deploy
   * tests) the base's Deployment as written, in the namespace the overlay's kustomization names.
   */
  const rendered = (): Rendered => {
    if (built !== undefined) return built;
    const withKubectl = hasKubectl();
    const inOverlay = loadManifests(overlay);
    const manifests = withKubectl
      ? kustomize(relative(KUBERNETES_DIR, overlay))
      : [...loadManifests(join(KUBERNETES_DIR, 'base')), ...inOverlay.filter((m) => m.obj.kind === 'Namespace')];
    const of = (kind: string): unknown[] => manifests.filter((m) => m.obj.kind === kind).map((m) => m.obj);
    const [deployment] = of('Deployment') as IDeployment[];
    if (deployment === undefined) throw new Error(`${overlay} renders no Deployment`);
    const kustomization = inOverlay.find((m) => m.file.endsWith('kustomization.yaml'))?.obj as { namespace?: string } | undefined;
    built = {
      deployment,
      namespace: withKubectl ? deployment.metadata?.namespace : kustomization?.namespace,
      namespaces: (of('Namespace') as INamespace[]).map((n) => n.metadata?.name ?? ''),
    };
    return built;
  };
  const pod = (): IPodSpec => rendered().deployment.spec?.template.spec as IPodSpec;
  const container = (): IContainer => pod().containers[0] as IContainer;
  const namespace = () => rendered().namespace;

  it('applies an overlay of this checkout', () => {
    expect(relative(KUBERNETES_DIR, overlay)).toMatch(/^overlays\/[\w.-]+$/);
    expect(existsSync(join(overlay, 'kustomization.yaml'))).toBe(true);
  });

  it('creates the Secrets in the namespace the overlay renders into, after that namespace exists', () => {
    const secretAt = kube.commands.findIndex((c) => c.argv.includes('secret'));
    const secretNs = option(kubectl(kube.commands[secretAt] as Command), '-n', '--namespace');
    expect(secretNs).toBe(namespace());
    const madeBefore = kube.commands.slice(0, secretAt).flatMap((c): readonly string[] => {
      const [verb, kind, name] = kubectl(c).operands;
      if (verb === 'create' && kind === 'namespace' && name !== undefined) return [name];
      return c === apply ? rendered().namespaces : [];
    });
    expect(madeBefore).toContain(secretNs);
  });

  it('creates every Secret key the rendered pod needs, and only Secrets the pod reads', () => {
    const required: string[] = [];
    const read = new Set<string>();
    for (const v of pod().volumes ?? []) {
      if (v.secret?.secretName === undefined) continue;
      read.add(v.secret.secretName);
      if (v.secret.optional !== true) required.push(...(v.secret.items ?? []).map((i) => `${v.secret?.secretName ?? ''}/${i.key}`));
    }
    for (const e of container().env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref?.name === undefined) continue;
      read.add(ref.name);
      if (ref.optional !== true) required.push(`${ref.name}/${ref.key}`);
    }
    expect(container().envFrom).toBeUndefined();
    expect(required.length).toBeGreaterThan(0);
    const created = [...secrets].flatMap(([name, keys]) => [...keys.keys()].map((k) => `${name}/${k}`));
    expect(created).toEqual(expect.arrayContaining(required));
    for (const name of secrets.keys()) expect(read, name).toContain(name);
  });

  it('its token key is the file TUNNELWATCH_CLOUDFLARED_TOKEN_FILE names in the container', () => {
    const tokenFile = containerEnv(container())[TOKEN_FILE_VAR];
    const mounted = (container().volumeMounts ?? []).flatMap((m) => {
      const secret = pod().volumes?.find((v) => v.name === m.name)?.secret;
      const keys = secrets.get(secret?.secretName ?? '');
      return (secret?.items ?? []).filter((i) => keys?.has(i.key)).map((i) => posix.join(m.mountPath, i.path));
    });
    expect(tokenFile).toBeDefined();
    expect(mounted).toContain(tokenFile);
  });

  it('waits for the rollout of the Deployment the overlay renders', () => {
    const rollout = commandOf(kube, 'kubectl rollout status', (a) => a.includes('rollout'));
    const parsed = kubectl(rollout);
    expect(parsed.operands).toEqual(['rollout', 'status', `deployment/${rendered().deployment.metadata?.name ?? ''}`]);
    expect(option(parsed, '-n', '--namespace')).toBe(namespace());
  });
});

describe('quick start with systemd', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
  const at = (what: string, match: (a: readonly string[]) => boolean) => systemd.commands.indexOf(commandOf(systemd, what, match));
  const enable = commandOf(systemd, 'systemctl enable', (a) => a[0] === 'systemctl' && a[1] === 'enable');

  it('copies files of this checkout to where the unit reads them, and the token to its credential', () => {
    const token = copies.find((c) => c.target === credentialSource);
    expect(token?.source).toBeDefined();
    for (const { source } of copies.filter((c) => c !== token)) expect(existsSync(join(ROOT, source)), source).toBe(true);
    expect(copies.find((c) => c.target === unitValue('EnvironmentFile'))?.source).toBe('deploy/systemd/tunnelwatch.env');
    // Root-only, as the unit and the env file's header say: the env file may hold the API token.
    for (const secret of copies.filter((c) => c === token || c.target === unitValue('EnvironmentFile'))) {
      expect(Number.parseInt(secret.mode ?? '', 8) & 0o077, secret.target).toBe(0);
    }
    const unit = copies.find((c) => c.target.startsWith('/etc/systemd/system/'));
    expect(unit?.source).toBe('deploy/systemd/tunnelwatch.service');
    expect(unit?.target).toBe(`/etc/systemd/system/${options(enable.argv.slice(2), ['--now']).operands[0] ?? ''}.service`);
  });

  it('installs tunnelwatch where ExecStart runs it, from the tarball npm pack makes', () => {
    const install = commandOf(systemd, 'npm install', (a) => a[0] === 'npm' && a[1] === 'install');
    const parsed = options(install.argv.slice(2), ['-g', '--global']);
    expect(at('npm pack', (a) => a[0] === 'npm' && a[1] === 'pack')).toBeLessThan(systemd.commands.indexOf(install));
    expect(parsed.operands.map(normalize)).toEqual([`${pkg.name}-${pkg.version}.tgz`]);
    const [program] = unitValue('ExecStart').split(' ');
    expect(dirname(program ?? '')).toBe(posix.join(option(parsed, '--prefix') ?? '', 'bin'));
    expect(Object.keys(pkg.bin)).toContain(basename(program ?? ''));
  });

  it('reloads systemd before it enables and starts the unit', () => {
    expect(at('systemctl daemon-reload', (a) => a[0] === 'systemctl' && a[1] === 'daemon-reload')).toBeLessThan(systemd.commands.indexOf(enable));
    expect(enable.argv).toContain('--now');
  });

  it("its curl reaches the env file's listen address and gets an answer without a bearer token", async () => {
    const settings = settingsOf(envFile(join(ROOT, copies.find((c) => c.target === unitValue('EnvironmentFile'))?.source ?? '')));
    const url = curlUrl(systemd);
    expect(reaches(settings.server.listen, url), settings.server.listen).toBe(true);
    expect(await answer(settings.server, url.pathname)).toBe(200);
  });

  describe('its install lines, run as written into a scratch root', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'tw-quickstart-'));
    const root = join(scratch, 'root');
    afterAll(() => { rmSync(scratch, { recursive: true, force: true }); });
    // The checkout as the recipe sees it: this repository's deploy/ and a token file (a stand-in, not a token).
    const checkout = join(scratch, 'checkout');
    mkdirSync(checkout);
    symlinkSync(join(ROOT, 'deploy'), join(checkout, 'deploy'));
    writeFileSync(join(checkout, 'tunnel-token'), 'stand-in\n', { mode: 0o600 });
    // Present on every systemd host; the recipe must create the rest itself.
    mkdirSync(join(root, 'etc', 'systemd', 'system'), { recursive: true });
    const rebased = (a: string) => (a.startsWith('/') ? join(root, a) : a);
    const installed = (path: string) => join(root, path);
    beforeAll(() => {
      for (const { command } of installs) execFileSync('install', command.argv.slice(1).map(rebased), { cwd: checkout, stdio: ['ignore', 'ignore', 'pipe'] });
    });

    it('each succeeds in order and leaves its file with the mode it gives', () => {
      for (const { target, mode } of copies) expect((statSync(installed(target)).mode & 0o7777).toString(8).padStart(4, '0'), target).toBe(mode);
      expect(readFileSync(installed(credentialSource), 'utf8')).toBe('stand-in\n');
    });

    it.runIf(existsSync('/usr/bin/systemd-analyze'))('systemd-analyze verify accepts the unit as installed', async () => {
      const unit = installed(copies.find((c) => c.source.endsWith('.service'))?.target ?? '');
      const stderr = await promisify(execFile)('/usr/bin/systemd-analyze', ['verify', unit], { timeout: 20_000 }).then(
        (r) => r.stderr,
        (error: unknown) => (error as { stderr?: string }).stderr ?? String(error),
      );
      // npm install puts ExecStart's program in place, which this test does not do (see deploy-systemd.test.ts).
      const program = unitValue('ExecStart').split(' ')[0] ?? '';
      const notInstalled = `Command ${program} is not executable`;
      const about = stderr.split('\n').filter((l) => l.includes(basename(unit)) && !(l.includes(notInstalled) && !existsSync(program)));
      expect(about).toEqual([]);
    });
  });
});
