import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IConfigMap, IContainer, IProbe, IService } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkCloudflaredConfig } from '../src/cloudflared/config/check.js';
import { loadSettings } from '../src/config/load.js';
import type { Settings } from '../src/config/schema.js';
import {
  containerEnv,
  hasKubectl,
  KUBERNETES_DIR,
  kustomize,
  loadManifests,
  PROMETHEUS_RULE,
  typeKey,
  validateModel,
  type Manifest,
} from './helpers/kubernetes-manifests.js';

const ZONE_KEY = 'topology.kubernetes.io/zone';
const BASE = join(KUBERNETES_DIR, 'base');
const all = loadManifests();
const inBase = all.filter((m) => m.file.startsWith('deploy/kubernetes/base/'));

/** The one object of a kind; callers type it (it passed schema validation in the first test). */
function only(manifests: readonly Manifest[], key: string): unknown {
  const found = manifests.filter((m) => typeKey(m.obj) === key);
  expect(found.map((m) => m.file), key).toHaveLength(1);
  return found[0]?.obj;
}

function listedFiles(kustomizationDir: string): { resources: string[]; patches: string[] } {
  const k = loadManifests(kustomizationDir).find((m) => m.file.endsWith('kustomization.yaml'))?.obj;
  const resources = (k?.resources ?? []) as string[];
  const patches = ((k?.patches ?? []) as { path?: string }[]).flatMap((p) => (p.path === undefined ? [] : [p.path]));
  return { resources, patches };
}

const deployment = only(inBase, 'apps/v1/Deployment') as IDeployment;
const pod = deployment.spec?.template;
const container = pod?.spec?.containers.find((c) => c.name === 'tunnelwatch') as IContainer;
const podLabels = pod?.metadata?.labels ?? {};

/** The settings tunnelwatch would load from the container's environment (secrets present as samples). */
function podSettings(c: IContainer): Settings {
  const result = loadSettings({ env: containerEnv(c) });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  return result.settings;
}
const settings = podSettings(container);

const selects = (selector: Record<string, string> | undefined): boolean =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => podLabels[k] === v);

function mountOf(path: string): { mountPath: string; volume: string } | undefined {
  const m = (container.volumeMounts ?? []).find((v) => path === v.mountPath || path.startsWith(`${v.mountPath}/`));
  return m && { mountPath: m.mountPath, volume: m.name };
}
const volume = (name: string) => pod?.spec?.volumes?.find((v) => v.name === name);

describe('kubernetes manifests: schema', () => {
  const patches = new Set(listedFiles(join(KUBERNETES_DIR, 'overlays', 'example')).patches.map((p) => `deploy/kubernetes/overlays/example/${p}`));
  const objects = all.filter((m) => !patches.has(m.file) && !m.file.endsWith('kustomization.yaml'));

  it('every built-in object validates with kubernetes-models; only the CRDs are left to hand checks', () => {
    const unvalidated = objects.filter((m) => !validateModel(m)).map((m) => typeKey(m.obj));
    expect(new Set(unvalidated)).toEqual(new Set(unvalidated.filter((k) => k.startsWith('monitoring.coreos.com/v1/'))));
  });

  it('the base lists every manifest beside it, and the PrometheusRule file', () => {
    const { resources } = listedFiles(BASE);
    expect(resources).toContain(PROMETHEUS_RULE);
    const beside = inBase.map((m) => posix.basename(m.file)).filter((f) => f !== 'kustomization.yaml');
    expect(new Set(resources)).toEqual(new Set([...beside, PROMETHEUS_RULE]));
  });

  it('the ServiceMonitor scrapes /metrics on the Service port that reaches the container', () => {
    const service = only(inBase, 'v1/Service') as IService;
    const sm = only(inBase, 'monitoring.coreos.com/v1/ServiceMonitor') as { spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] } };
    expect(Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => service.metadata?.labels?.[k] === v)).toBe(true);
    expect(selects(service.spec?.selector)).toBe(true);
    const port = service.spec?.ports?.find((p) => p.name === sm.spec.endpoints[0]?.port);
    expect(sm.spec.endpoints[0]?.path).toBe('/metrics');
    expect(container.ports?.find((p) => p.name === port?.targetPort)?.containerPort).toBe(Number(settings.server.listen.split(':').pop()));
    // A replica that lost its tunnel is not ready; its metrics must still be scraped.
    expect(service.spec?.publishNotReadyAddresses).toBe(true);
  });
});

describe('kubernetes manifests: high availability', () => {
  it('runs at least 3 replicas spread over zones (enforced, skew 1: schedulable on two zones) and then hosts', () => {
    expect(deployment.spec?.replicas).toBeGreaterThanOrEqual(3);
    const spread = pod?.spec?.topologySpreadConstraints ?? [];
    const zone = spread.find((c) => c.topologyKey === ZONE_KEY);
    expect(zone).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
    expect(selects(zone?.labelSelector?.matchLabels)).toBe(true);
    expect(spread.find((c) => c.topologyKey === 'kubernetes.io/hostname')).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway' });
    // A required zone anti-affinity leaves the third replica Pending on a two-zone cluster.
    expect(pod?.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
  });

  it('rolls one replica at a time, since a surge pod may break the zone skew and wait Pending', () => {
    expect(deployment.spec?.strategy?.rollingUpdate).toMatchObject({ maxSurge: 0, maxUnavailable: 1 });
  });

  it('has a PodDisruptionBudget selecting the pods that keeps at least 2 replicas', () => {
    const pdb = only(inBase, 'policy/v1/PodDisruptionBudget') as IPodDisruptionBudget;
    expect(selects(pdb.spec?.selector?.matchLabels)).toBe(true);
    const replicas = deployment.spec?.replicas ?? 0;
    const minAvailable = pdb.spec?.minAvailable ?? replicas - Number(pdb.spec?.maxUnavailable);
    expect(minAvailable).toBeGreaterThanOrEqual(2);
    expect(minAvailable).toBeLessThan(replicas);
  });

  it('probes tunnelwatch tolerantly: /healthz for startup and liveness, /readyz for readiness', () => {
    const check = (probe: IProbe | undefined, path: string, minFailures: number) => {
      expect(probe?.httpGet?.path).toBe(path);
      expect(probe?.httpGet?.port).toBe('http');
      expect(probe?.failureThreshold).toBeGreaterThanOrEqual(minFailures);
    };
    check(container.livenessProbe, '/healthz', 3);
    check(container.readinessProbe, '/readyz', 3);
    check(container.startupProbe, '/healthz', 3);
    const startup = container.startupProbe;
    expect((startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3)).toBeGreaterThanOrEqual(60);
  });

  it('gives the drain time: terminationGracePeriodSeconds > preStop + cloudflared grace period + margin', () => {
    const command = container.lifecycle?.preStop?.exec?.command ?? [];
    expect(command[0]).toBe('sleep');
    const preStopS = Number(command[1]);
    expect(preStopS).toBeGreaterThan(0);
    expect(settings.cloudflared.gracePeriod).toBe(30_000);
    expect(pod?.spec?.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStopS + settings.cloudflared.gracePeriod / 1000 + 10);
  });
});

describe('kubernetes manifests: settings, secrets and filesystem', () => {
  it('the container environment is valid tunnelwatch settings (unknown TUNNELWATCH_ names would fail)', () => {
    expect(settings.identity.replica).toBe('tunnelwatch-7d9f8c6b5-x2x4q');
    expect(settings.identity.zone).toBe('zone-a');
    expect(settings.identity.labels).toEqual({ namespace: 'tunnel', node: 'node-a1' });
  });

  it('takes pod name, node and zone from the downward API', () => {
    const from = (name: string) => container.env?.find((e) => e.name === name)?.valueFrom?.fieldRef?.fieldPath;
    expect(from('TUNNELWATCH_IDENTITY_REPLICA')).toBe('metadata.name');
    expect(from('NODE_NAME')).toBe('spec.nodeName');
    expect(from('TUNNELWATCH_IDENTITY_ZONE')).toBe(`metadata.labels['${ZONE_KEY}']`);
  });

  it('never puts the tunnel token in the environment: only a file from a Secret volume', () => {
    const names = (container.env ?? []).map((e) => e.name);
    expect(names).not.toContain('TUNNELWATCH_CLOUDFLARED_TOKEN');
    expect(names).not.toContain('TUNNEL_TOKEN');
    for (const e of container.env ?? []) {
      expect(e.value ?? '', e.name).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
      if (/TOKEN/.test(e.name) && e.value === undefined) expect(e.valueFrom?.secretKeyRef, e.name).toBeDefined();
    }
    const file = settings.cloudflared.tokenFile ?? '';
    const mount = mountOf(file);
    const secret = volume(mount?.volume ?? '')?.secret;
    expect(secret?.secretName).toBeDefined();
    expect(secret?.items?.map((i) => posix.join(mount?.mountPath ?? '', i.path))).toContain(file);
    expect(container.envFrom).toBeUndefined();
  });

  it('mounts a writable spool volume at logs.spoolDir, sized above the spool limit', () => {
    const mount = mountOf(settings.logs.spoolDir);
    expect(mount?.mountPath).toBe(settings.logs.spoolDir);
    expect(volume(mount?.volume ?? '')?.emptyDir).toBeDefined();
    expect(container.volumeMounts?.find((v) => v.mountPath === settings.logs.spoolDir)?.readOnly).not.toBe(true);
  });

  it('runs non-root on a read-only root filesystem without capabilities', () => {
    expect(pod?.spec?.securityContext?.runAsNonRoot).toBe(true);
    expect(pod?.spec?.securityContext?.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container.resources?.requests).toBeDefined();
    expect(container.resources?.limits?.memory).toBeDefined();
  });

  it('mounts the generated cloudflared ConfigMap where cloudflared.config points, and that config is valid', () => {
    const path = settings.cloudflared.config ?? '';
    const mount = mountOf(path);
    expect(mount?.mountPath).toBe(dirname(path));
    const kustomization = parse(readFileSync(join(BASE, 'kustomization.yaml'), 'utf8')) as { configMapGenerator?: { name: string; files: string[] }[] };
    const generator = kustomization.configMapGenerator?.find((g) => g.name === volume(mount?.volume ?? '')?.configMap?.name);
    const [key, file] = (generator?.files.find((f) => f.startsWith(`${posix.basename(path)}=`)) ?? '').split('=');
    expect(key).toBe(posix.basename(path));
    const text = readFileSync(join(BASE, file ?? ''), 'utf8');
    expect(checkCloudflaredConfig(text, 'configmap').diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});

describe.runIf(hasKubectl())('kubernetes manifests: kubectl kustomize', () => {
  it(`builds the base${existsSync(join(BASE, PROMETHEUS_RULE)) ? '' : ` (${PROMETHEUS_RULE} stubbed: not generated yet)`}, every object valid`, () => {
    const built = kustomize('base');
    for (const m of built) validateModel(m);
    expect(built.map((m) => String(m.obj.kind))).toEqual(expect.arrayContaining(['Deployment', 'Service', 'ServiceMonitor', 'PodDisruptionBudget', 'PrometheusRule', 'ConfigMap']));
    // The generated name carries the content's hash, so a config edit rolls the pods; the Deployment follows it.
    const cm = only(built, 'v1/ConfigMap') as IConfigMap;
    expect(cm.metadata?.name).toMatch(/^tunnelwatch-cloudflared-[a-z0-9]{10}$/);
    const d = only(built, 'apps/v1/Deployment') as IDeployment;
    expect(d.spec?.template.spec?.volumes?.some((v) => v.configMap?.name === cm.metadata?.name)).toBe(true);
  });

  it('the example overlay sets namespace and image and keeps the zone spread and env order', () => {
    const built = kustomize('overlays/example');
    for (const m of built) validateModel(m);
    const ns = (only(built, 'v1/Namespace') as { metadata: { name: string } }).metadata.name;
    expect(built.filter((m) => m.obj.kind !== 'Namespace').every((m) => (m.obj.metadata as { namespace?: string }).namespace === ns)).toBe(true);
    const d = only(built, 'apps/v1/Deployment') as IDeployment;
    const c = d.spec?.template.spec?.containers[0] as IContainer;
    expect(c.image).toMatch(/^[^:]+:\d+\.\d+\.\d+$/);
    expect(c.image).not.toBe(container.image);
    expect(d.spec?.template.spec?.topologySpreadConstraints?.[0]?.topologyKey).toBe(ZONE_KEY);
    expect(d.spec?.template.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchExpressions?.[0]?.key).toBe(ZONE_KEY);
    expect(podSettings(c).cloudflared.tokenFile).toBe(settings.cloudflared.tokenFile);
  });

  it('the attach component adds tunnelwatch beside a cloudflared Deployment it does not own, sharing its log file and metrics', () => {
    const built = kustomize('overlays/attach-example');
    for (const m of built) validateModel(m);
    const d = only(built, 'apps/v1/Deployment') as IDeployment;
    const spec = d.spec?.template.spec;
    const [cloudflared, tunnelwatch, ...others] = spec?.containers ?? [];
    expect(others).toEqual([]);
    expect(cloudflared?.name).toBe('cloudflared');
    // What `helm template` rendered is left as it was: command, token, probe; only the attach additions join it.
    const rendered = loadManifests(join(KUBERNETES_DIR, 'overlays', 'attach-example', 'chart')).find((m) => m.obj.kind === 'Deployment')?.obj as IDeployment | undefined;
    const chart = rendered?.spec?.template.spec?.containers[0];
    expect(cloudflared?.command).toEqual(chart?.command);
    expect(cloudflared?.livenessProbe).toEqual(chart?.livenessProbe);
    expect(cloudflared?.env?.filter((e) => !['TUNNEL_LOGFILE', 'TUNNEL_METRICS'].includes(e.name))).toEqual(chart?.env);
    expect(rendered?.metadata?.labels?.['helm.sh/chart']).toMatch(/^cloudflare-tunnel-remote-/);
    expect(tunnelwatch?.name).toBe('tunnelwatch');
    const args = tunnelwatch?.args ?? [];
    const logFile = args[args.indexOf('--attach') + 1];
    const metrics = args[args.indexOf('--metrics') + 1];
    expect(cloudflared?.env?.find((e) => e.name === 'TUNNEL_LOGFILE')?.value).toBe(logFile);
    // Where cloudflared serves its metrics (the chart's --metrics 0.0.0.0:2000), on the pod's loopback.
    expect(cloudflared?.command?.join(' ')).toContain(`--metrics 0.0.0.0:${metrics?.split(':')[1] ?? ''}`);
    // Both containers mount the log's directory; tunnelwatch only reads it.
    const mount = (c: IContainer | undefined) => c?.volumeMounts?.find((m) => logFile?.startsWith(`${m.mountPath}/`));
    expect(mount(cloudflared)?.name).toBe(mount(tunnelwatch)?.name);
    expect(mount(tunnelwatch)?.readOnly).toBe(true);
    expect(spec?.volumes?.find((v) => v.name === mount(cloudflared)?.name)?.emptyDir).toBeDefined();
    // The settings tunnelwatch builds from its environment and flags are valid attach settings.
    const result = loadSettings({ env: containerEnv(tunnelwatch as IContainer), sets: [`cloudflared.attach.logFile=${logFile ?? ''}`, `cloudflared.metrics=${metrics ?? ''}`] });
    expect(result.ok, JSON.stringify(result.ok ? {} : result.diagnostics)).toBe(true);
  });

  it('the zone-from-node component: an init container with the only API token reads the zone into identity.zoneFile', () => {
    const built = kustomize('overlays/zone-from-node-example');
    for (const m of built) validateModel(m);
    const d = only(built, 'apps/v1/Deployment') as IDeployment;
    const spec = d.spec?.template.spec;
    const [init, ...moreInits] = spec?.initContainers ?? [];
    expect(moreInits).toEqual([]);
    const main = spec?.containers.find((c) => c.name === 'tunnelwatch') as IContainer;
    expect(init?.image).toBe(main.image);
    expect(init?.command).toEqual(['/app/bin/tunnelwatch', 'node-zone']);
    expect(init?.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
    expect(init?.securityContext).toEqual(main.securityContext);
    // The file the init container writes is the one tunnelwatch reads, on a volume both mount.
    const out = init?.args?.[(init.args.indexOf('--out')) + 1] ?? '';
    const loaded = loadSettings({ env: containerEnv(main) });
    expect(loaded.ok && loaded.settings.identity).toMatchObject({ zoneFile: out });
    expect(loaded.ok && loaded.settings.identity.zone).toBeUndefined();
    const mountFor = (c: IContainer | undefined) => c?.volumeMounts?.find((m) => out.startsWith(`${m.mountPath}/`));
    expect(mountFor(init)?.name).toBe(mountFor(main)?.name);
    expect(mountFor(main)?.readOnly).toBe(true);
    // The API token is mounted in the init container alone, projected and short-lived.
    expect(spec?.automountServiceAccountToken).toBe(false);
    const tokenMount = init?.volumeMounts?.find((m) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount');
    const tokenVolume = spec?.volumes?.find((v) => v.name === tokenMount?.name);
    expect(tokenVolume?.projected?.sources?.map((s) => s.serviceAccountToken?.path ?? s.configMap?.name)).toEqual(['token', 'kube-root-ca.crt']);
    expect(spec?.containers.some((c) => c.volumeMounts?.some((m) => m.name === tokenMount?.name))).toBe(false);
    // The service account may get nodes, nothing else, and the binding follows the overlay's namespace.
    const role = only(built, 'rbac.authorization.k8s.io/v1/ClusterRole') as { rules: unknown[] };
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
    const binding = only(built, 'rbac.authorization.k8s.io/v1/ClusterRoleBinding') as { subjects: unknown[] };
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: spec?.serviceAccountName, namespace: d.metadata?.namespace }]);
  });

  it('the kube-prometheus-stack component labels the ServiceMonitor and the PrometheusRule with the release, nothing else', () => {
    const built = kustomize('overlays/example');
    const labelled = built.filter((m) => (m.obj.metadata as { labels?: Record<string, string> }).labels?.release !== undefined).map((m) => String(m.obj.kind));
    expect(labelled.sort()).toEqual(['PrometheusRule', 'ServiceMonitor']);
  });
});

it('the image is pinned to a version, never :latest', () => {
  expect(container.image).toMatch(/:\d+\.\d+\.\d+$/);
  expect(readFileSync(join(KUBERNETES_DIR, 'overlays', 'example', 'kustomization.yaml'), 'utf8')).not.toMatch(/newTag:\s*latest/);
});
