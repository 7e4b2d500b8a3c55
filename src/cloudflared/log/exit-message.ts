// The bare lines cloudflared prints as it gives up: its command-line framework writes the error that ended the
// command once more, without level or time, before exiting (cmd/cloudflared/tunnel/subcommands.go's UsageErrors,
// the metrics listener's bind error, urfave/cli's flag errors). They carry no level, yet each is the reason the
// connector exits, so they are fatal, not the info a level-less line would default to. Pure.

const EXIT_MESSAGES: readonly RegExp[] = [
  // cliutil.UsageError texts name the subcommand in quotes: `"cloudflared tunnel run" requires the ID or name …`.
  /^"cloudflared [a-z ]+" (?:requires|accepts) /,
  /^Provided Tunnel token is not valid\.?$/,
  /^Failed to read token file: /,
  /^Error opening metrics server listener: /,
  /^Incorrect Usage: /,
  /^flag provided but not defined: /,
  /^Tunnel credentials file '.*' doesn't exist or is not a file/,
];

/** True when `text` (a line without level or time) is one of the messages cloudflared exits with. */
export function isExitMessage(text: string): boolean {
  return EXIT_MESSAGES.some((pattern) => pattern.test(text));
}
