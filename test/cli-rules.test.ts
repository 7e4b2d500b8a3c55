// `tunnelwatch rules`: the shipped rule file as it is, with the runbook links moved to a site's own copy, or as a
// PrometheusRule; a base that is not a URL is a usage error naming the flag.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { RULES_RUNBOOK_BASE_URL } from '../src/config/index.js';
import { runCli } from './helpers/cli.js';

const SHIPPED = readFileSync(new URL('../alerts/tunnelwatch.rules.yaml', import.meta.url), 'utf8');
const Groups = z.object({ groups: z.array(z.object({ name: z.string(), rules: z.array(z.object({ alert: z.string().optional(), annotations: z.record(z.string(), z.string()).optional() })) })) });

const alertRules = (yaml: unknown) => Groups.parse(yaml).groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);

describe('tunnelwatch rules', () => {
  it('prints the shipped rule file unchanged by default', async () => {
    const run = await runCli(['rules']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(SHIPPED);
  });

  it('points every runbook_url at --runbook-base-url and changes nothing else', async () => {
    const run = await runCli(['rules', '--runbook-base-url', 'https://wiki.example.com/sre/tunnelwatch/']);
    expect(run.code).toBe(0);
    const rules = alertRules(parse(run.stdout));
    expect(rules.length).toBeGreaterThan(10);
    for (const r of rules) expect(r.annotations?.runbook_url, r.alert).toBe(`https://wiki.example.com/sre/tunnelwatch/${r.alert ?? ''}.md`);
    expect(run.stdout).not.toContain(RULES_RUNBOOK_BASE_URL);
    const stripped = (text: string): string => text.replace(/runbook_url: ".*"/g, 'runbook_url');
    expect(stripped(run.stdout)).toBe(stripped(SHIPPED));
  });

  it('--operator prints a PrometheusRule holding the same groups', async () => {
    const run = await runCli(['rules', '--operator', '--runbook-base-url', 'http://tw.internal:9464/runbooks']);
    expect(run.code).toBe(0);
    const manifest = z.object({ apiVersion: z.literal('monitoring.coreos.com/v1'), kind: z.literal('PrometheusRule'), spec: z.unknown() }).parse(parse(run.stdout));
    const rules = alertRules(manifest.spec);
    expect(rules.map((r) => r.alert)).toEqual(alertRules(parse(SHIPPED)).map((r) => r.alert));
    for (const r of rules) expect(r.annotations?.runbook_url).toBe(`http://tw.internal:9464/runbooks/${r.alert ?? ''}.md`);
  });

  it('--group-labels replaces cluster and namespace in every join and per-replica aggregation; empty keeps none', async () => {
    const run = await runCli(['rules', '--group-labels', 'team, cluster']);
    expect(run.code).toBe(0);
    const clauses = (text: string): string[] => [...text.matchAll(/\b(?:by|on) \(([^)]*)\)/g)].map((m) => m[1] ?? '');
    const shipped = clauses(SHIPPED);
    expect(shipped.filter((c) => c.startsWith('cluster, namespace, ')).length).toBeGreaterThan(40);
    expect(clauses(run.stdout)).toEqual(shipped.map((c) => c.replace(/^cluster, namespace, /, 'team, cluster, ')));
    const none = await runCli(['rules', '--group-labels', '']);
    expect(clauses(none.stdout)).toEqual(shipped.map((c) => c.replace(/^cluster, namespace, /, '')));
  });

  it('--no-watchdog leaves out the Watchdog and nothing else', async () => {
    const run = await runCli(['rules', '--no-watchdog']);
    expect(run.code).toBe(0);
    expect(alertRules(parse(run.stdout)).map((r) => r.alert)).toEqual(alertRules(parse(SHIPPED)).map((r) => r.alert).filter((a) => a !== 'Watchdog'));
  });

  it('refuses a grouping label that is not a label name or is one the rules already use', async () => {
    for (const bad of ['replica', 'team-name']) {
      const run = await runCli(['rules', '--group-labels', `cluster,${bad}`]);
      expect(run.code).toBe(2);
      expect(run.stderr.split('\n')[0]).toBe(`tunnelwatch rules: --group-labels: "${bad}" cannot be a grouping label: give Prometheus label names other than tunnel_id, replica, job and instance`);
    }
  });

  it('refuses a base that is not an http(s) URL, naming the flag and an example', async () => {
    const run = await runCli(['rules', '--runbook-base-url', 'wiki/runbooks']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toBe('tunnelwatch rules: --runbook-base-url "wiki/runbooks" is not an http(s) URL; give where your copy of docs/runbooks is served, e.g. https://wiki.example.com/runbooks/tunnelwatch');
  });
});
