// Reading deploy/kubernetes the way kubectl would: every YAML document, validated against the Kubernetes
// schemas (kubernetes-models), and, when kubectl is installed, the real `kubectl kustomize` output.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { IContainer } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './cli.js';

export const KUBERNETES_DIR = join(ROOT, 'deploy', 'kubernetes');
/** Written by the alerting work, listed by the base; tests only require it to be listed. */
export const PROMETHEUS_RULE = 'prometheus-rule.yaml';

export interface Manifest {
  readonly file: string;
  readonly obj: Record<string, unknown>;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Every document of `text`; a YAML error fails with the file and the parser's message. */
export function parseManifests(text: string, file: string): Manifest[] {
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return { file, obj: doc.toJS() as Record<string, unknown> };
  });
}

/** Every Kubernetes object under `dir`; YAML without apiVersion and kind is a generator's input (data), not one. */
export function loadManifests(dir: string = KUBERNETES_DIR): Manifest[] {
  return yamlFiles(dir)
    .flatMap((path) => parseManifests(readFileSync(path, 'utf8'), relative(ROOT, path)))
    .filter((m) => m.obj.apiVersion !== undefined || m.obj.kind !== undefined);
}

// The built-in kinds this folder uses; CRDs (ServiceMonitor, PrometheusRule) have no model and are checked by hand.
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};

export function typeKey(obj: Record<string, unknown>): string {
  return `${String(obj.apiVersion)}/${String(obj.kind)}`;
}

/** Validates against the Kubernetes schema; false when the kind has no model (a CRD). Throws when invalid. */
export function validateModel(m: Manifest): boolean {
  const Model = MODELS[typeKey(m.obj)];
  if (Model === undefined) return false;
  try {
    new Model(m.obj as never).validate();
  } catch (error) {
    throw new Error(`${m.file} (${typeKey(m.obj)}): ${(error as Error).message}`, { cause: error });
  }
  return true;
}

export function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * `kubectl kustomize` of a folder under deploy/kubernetes, on a copy: if the PrometheusRule has not been
 * generated yet, the copy gets an empty one, so the build checks everything else.
 */
export function kustomize(folder: string): Manifest[] {
  const tmp = mkdtempSync(join(tmpdir(), 'tw-kustomize-'));
  try {
    cpSync(KUBERNETES_DIR, tmp, { recursive: true });
    const rule = join(tmp, 'base', PROMETHEUS_RULE);
    if (!existsSync(rule)) {
      writeFileSync(rule, 'apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: tunnelwatch\nspec:\n  groups: []\n');
    }
    const out = execFileSync('kubectl', ['kustomize', join(tmp, folder)], { encoding: 'utf8', timeout: 30_000 });
    return parseManifests(out, `kustomize ${folder}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Sample values for the downward API fields, as the kubelet would fill them in. */
const FIELD_SAMPLES: Record<string, string> = {
  'metadata.name': 'tunnelwatch-7d9f8c6b5-x2x4q',
  'metadata.namespace': 'tunnel',
  'spec.nodeName': 'node-a1',
  "metadata.labels['topology.kubernetes.io/zone']": 'zone-a',
};

/**
 * The container's environment as the process would see it: literal values with `$(VAR)` expanded from
 * variables defined above them (the kubelet's rule), fieldRefs from samples, optional secret keys absent.
 * Throws on a `$(VAR)` that names nothing defined earlier, which the kubelet would leave unexpanded.
 */
export function containerEnv(container: IContainer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of container.env ?? []) {
    if (v.value !== undefined) {
      env[v.name] = v.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_m, name: string) => {
        const earlier = env[name];
        if (earlier === undefined) throw new Error(`env ${v.name} refers to $(${name}), which is not defined above it`);
        return earlier;
      });
    } else if (v.valueFrom?.fieldRef !== undefined) {
      const sample = FIELD_SAMPLES[v.valueFrom.fieldRef.fieldPath];
      if (sample === undefined) throw new Error(`env ${v.name}: no sample for fieldRef ${v.valueFrom.fieldRef.fieldPath}`);
      env[v.name] = sample;
    }
  }
  return env;
}
