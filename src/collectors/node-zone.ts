// The zone of the node a pod runs on, asked of the Kubernetes API. Before the PodTopologyLabels admission plugin
// (1.33+) the downward API cannot give a pod its node's labels, so an init container asks the API server for its
// own node (`tunnelwatch node-zone`) and leaves the zone in a file for identity.zoneFile.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

/** Where a pod's service account token and the cluster's CA are mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The current label first, then the one deprecated in 1.17 that older clusters still set. */
export const ZONE_LABELS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'] as const;

/** A label value as Kubernetes allows it: what else a file or an API answer holds is not a zone. */
export const ZONE_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;

export type NodeZone = { readonly ok: true; readonly zone: string; readonly label: string } | NodeZoneProblem;
export interface NodeZoneProblem {
  readonly ok: false;
  readonly problem: string;
  readonly fix: string;
}

export interface ApiAccess {
  readonly url: string;
  readonly token: string;
  readonly ca: Buffer;
}

const problem = (text: string, fix: string): NodeZoneProblem => ({ ok: false, problem: text, fix });

/** The API server, token and CA a pod is given; `apiServer` replaces the address from the environment. */
export function inClusterAccess(env: Readonly<Record<string, string | undefined>>, dir = SERVICE_ACCOUNT_DIR, apiServer?: string): ApiAccess | NodeZoneProblem {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (apiServer === undefined && (host === undefined || host === '')) {
    return problem('KUBERNETES_SERVICE_HOST is not set, so this is not a Kubernetes pod', 'run it as the pod\'s init container (deploy/kubernetes/components/zone-from-node), or give --api-server');
  }
  const url = apiServer ?? `https://${host?.includes(':') === true ? `[${host}]` : String(host)}:${port}`;
  let token: string;
  let ca: Buffer;
  try {
    token = readFileSync(join(dir, 'token'), 'utf8').trim();
    ca = readFileSync(join(dir, 'ca.crt'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return problem(`no service account token and CA in ${dir} (${code})`, 'mount a projected serviceAccountToken and the kube-root-ca.crt ConfigMap there, in the init container only (the zone-from-node component does; the base turns the automatic token off)');
  }
  return { url, token, ca };
}

/** The zone a Node object's labels name; pure. */
export function zoneOfNode(body: unknown, node: string): NodeZone {
  const labels = (body as { metadata?: { labels?: unknown } } | null)?.metadata?.labels;
  if (typeof labels !== 'object' || labels === null) return problem(`the API answer for node ${node} is not a Node object`, 'check --api-server: it must be the Kubernetes API server');
  for (const label of ZONE_LABELS) {
    const value: unknown = (labels as Record<string, unknown>)[label];
    if (typeof value !== 'string' || value === '') continue;
    if (!ZONE_VALUE.test(value)) return problem(`node ${node} has ${label}=${JSON.stringify(value.slice(0, 80))}, not a label value`, 'fix the node\'s label');
    return { ok: true, zone: value, label };
  }
  return problem(`node ${node} has no ${ZONE_LABELS[0]} label`, `the cloud provider sets it; elsewhere label each node: kubectl label node ${node} ${ZONE_LABELS[0]}=ZONE`);
}

/** What an API error status means here, and what to do. */
function statusProblem(status: number, node: string): NodeZoneProblem {
  if (status === 401) return problem('the API server did not accept the service account token (401)', 'check that the projected token is mounted and not expired');
  if (status === 403) return problem(`the service account may not get node ${node} (403)`, 'bind it to a ClusterRole allowing get on nodes (the zone-from-node component\'s tunnelwatch-node-reader)');
  if (status === 404) return problem(`node ${JSON.stringify(node)} does not exist (404)`, 'pass spec.nodeName by the downward API as NODE_NAME');
  return problem(`the API server answered ${String(status)} for node ${node}`, 'see the API server\'s events and logs');
}

const MAX_BODY = 1 << 20;

/** Asks the API server for `node` and reads its zone label; never throws. */
export async function fetchNodeZone(access: ApiAccess, node: string, timeoutMs = 10_000): Promise<NodeZone> {
  const url = new URL(`/api/v1/nodes/${encodeURIComponent(node)}`, access.url);
  return new Promise((resolve) => {
    const req = request(url, { ca: access.ca, headers: { authorization: `Bearer ${access.token}`, accept: 'application/json' }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) req.destroy(new Error(`an answer over ${String(MAX_BODY)} bytes`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) {
          resolve(statusProblem(res.statusCode ?? 0, node));
          return;
        }
        try {
          resolve(zoneOfNode(JSON.parse(Buffer.concat(chunks).toString('utf8')), node));
        } catch {
          resolve(problem(`the API answer for node ${node} is not JSON`, 'check --api-server: it must be the Kubernetes API server'));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${String(timeoutMs)} ms`)));
    req.on('error', (error) => {
      resolve(problem(`cannot ask ${url.origin} for node ${node}: ${error.message}`, 'check that the pod may reach the API server (NetworkPolicy egress) and that the CA is the cluster\'s'));
    });
    req.end();
  });
}
