// cloudflared flags whose value is a secret. On cloudflared's command line `ps` and /proc/<pid>/cmdline show it to
// every user of the host, so tunnelwatch refuses them in cloudflared.extraArgs and names the setting to use. Pure.

const SECRET_FLAGS: Readonly<Record<string, string>> = {
  token: 'cloudflared.token or cloudflared.tokenFile (TUNNELWATCH_CLOUDFLARED_TOKEN_FILE), which reach cloudflared through its environment',
  'credentials-contents': 'a credentials file: --credentials-file PATH in cloudflared.extraArgs',
  'service-token-secret': 'the environment of cloudflared (TUNNEL_SERVICE_TOKEN_SECRET)',
};

export interface SecretFlag {
  /** Index in the argument list of the flag itself. */
  readonly index: number;
  readonly flag: string;
  /** What to use instead. */
  readonly instead: string;
}

/** The secret-carrying flags in `args` (`--token X`, `--token=X`, `-token X`). */
export function secretFlags(args: readonly string[]): SecretFlag[] {
  const out: SecretFlag[] = [];
  args.forEach((arg, index) => {
    const name = /^--?([a-z-]+)(?:=|$)/.exec(arg)?.[1];
    const instead = name === undefined ? undefined : SECRET_FLAGS[name];
    if (name !== undefined && instead !== undefined) out.push({ index, flag: `--${name}`, instead });
  });
  return out;
}
