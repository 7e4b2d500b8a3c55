// Where cloudflared looks for the edge, from its command-line flags: --edge addresses (discovery skipped),
// --region (the SRV name) and --edge-ip-version. tunnelwatch's reachability checks look where cloudflared looks.

/** The values of `--name V` / `--name=V` (one or two dashes, as cloudflared's flag parser takes them). */
export function flagValues(args: readonly string[], name: string): string[] {
  const out: string[] = [];
  args.forEach((arg, i) => {
    if (arg === `--${name}` || arg === `-${name}`) {
      const next = args[i + 1];
      if (next !== undefined) out.push(next);
    } else if (arg.startsWith(`--${name}=`) || arg.startsWith(`-${name}=`)) {
      out.push(arg.slice(arg.indexOf('=') + 1));
    }
  });
  return out;
}

export interface EdgeArgs {
  /** --edge `host:port` addresses; empty when the edge is found through DNS. */
  readonly edges: readonly string[];
  /** --region; '' for the global edge. */
  readonly region: string;
  readonly ipVersion?: '4' | '6' | 'auto';
}

export function edgeArgs(args: readonly string[]): EdgeArgs {
  const ipVersion = flagValues(args, 'edge-ip-version').at(-1);
  return {
    edges: flagValues(args, 'edge'),
    region: flagValues(args, 'region').at(-1) ?? '',
    ...(ipVersion === '4' || ipVersion === '6' || ipVersion === 'auto' ? { ipVersion } : {}),
  };
}
