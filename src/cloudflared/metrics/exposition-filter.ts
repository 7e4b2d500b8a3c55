// cloudflared's own exposition, cut to the families a stock dashboard (grafana.com 24874) and Cloudflare's documented
// queries use: `cloudflared_*`, `quic_client_*`, `flow_*` and `build_info`. The Go runtime and process families are
// left out: served beside tunnelwatch's own /metrics under the same job and instance they would collide with its
// `process_*`. Pure.

const KEPT_PREFIXES = ['cloudflared_', 'quic_client_', 'flow_'] as const;

/** Whether the metric (or family) `name` is one the connector's own metrics path serves. */
export function isConnectorFamily(name: string): boolean {
  return name === 'build_info' || KEPT_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** The name a sample or `# HELP`/`# TYPE` line is about; undefined for any other comment or a blank line. */
function nameOf(line: string): string | undefined {
  if (line.startsWith('#')) {
    const m = /^#\s+(?:HELP|TYPE)\s+(\S+)/.exec(line);
    return m?.[1];
  }
  const end = line.search(/[{\s]/);
  return end === -1 ? (line === '' ? undefined : line) : line.slice(0, end);
}

/** The lines of the Prometheus text `exposition` that belong to the kept families, in their order. */
export function connectorFamilies(exposition: string): string {
  const kept: string[] = [];
  for (const line of exposition.split('\n')) {
    const name = nameOf(line);
    if (name !== undefined && isConnectorFamily(name)) kept.push(line);
  }
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
}
