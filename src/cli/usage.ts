// Every command's usage text, apart from the commands themselves: usage errors and `tunnelwatch help COMMAND` print
// them without loading the command's module (the Cloudflare SDK, fastify, the emulators).

export const COMMAND_USAGE = {
  validate: `Usage: tunnelwatch validate [--config FILE] [--settings FILE] [--set K=V]... [--json]

Checks a cloudflared config file with cloudflared's own rules and messages, plus warnings for what
cloudflared accepts but an SRE must know (noTLSVerify, unreachable rules, plain-http remote origins, ...).
With --settings (or TUNNELWATCH_SETTINGS, or --set), tunnelwatch's own settings are checked too, and their
cloudflared.config is used when --config is not given. Without either, the config is looked for where
cloudflared looks (~/.cloudflared, /etc/cloudflared, ...).

  --config FILE     cloudflared config (YAML or JSON; local, remote-managed or /config form)
  --settings FILE   tunnelwatch settings (YAML)
  --set K=V         override one setting (repeatable)
  --json            print {"valid": bool, "cloudflared": {...}, "settings": {...}}

Exit status: 0 valid (warnings allowed), 1 invalid or unreadable, 2 usage error.
`,
  ingress: `Usage: tunnelwatch ingress match [--config FILE] [--json] URL

Prints which ingress rule a URL reaches, exactly as \`cloudflared tunnel ingress rule URL\` does: the first
rule whose hostname and path regex match, else the catch-all; the rule number is 0-based. Without --config
the config is looked for where cloudflared looks.

Exit status: 0 matched, 1 the config is invalid or the URL cannot be matched, 2 usage error.
`,
  analyze: `Usage: tunnelwatch analyze [--json] [FILE|-]

Reads a cloudflared log (console text or JSON, as written to stderr or --logfile; lines wrapped by journald,
docker compose or kubectl are unwrapped; formats may be mixed) and explains it: a timeline per connection,
disconnect reasons ranked, reconnect storms, protocol fallbacks, origin errors by origin, config versions.

  --json    print one JSON object: {"events": [...], "summary": {...}, "diagnosis": [...]}
  FILE      the log file; "-" or nothing reads standard input
`,
  doctor: `Usage: tunnelwatch doctor [--settings FILE] [--set K=V]... [--tunnelwatch URL] [--json]

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
`,
  incident: `Usage: tunnelwatch incident [--tunnelwatch URL] [--token-file FILE] [--json]

Asks a running tunnelwatch to write an incident bundle now (POST /incidents) and prints where it is, on that
tunnelwatch's disk: the health snapshot, the diagnosis, firing alerts, probe results, both /metrics, cloudflared's
/ready, /config and /diag answers, the newest records and the settings, with every secret hidden.

  --tunnelwatch URL     the running tunnelwatch (default http://127.0.0.1:9464)
  --token-file FILE     its server.authToken, when it listens beyond loopback (or TUNNELWATCH_SERVER_AUTH_TOKEN)
  --json                print the answer as JSON: {"path", "bytes", "at", "trigger"}

Exit status: 0 written, 1 tunnelwatch could not write it or could not be reached, 2 usage.
`,
  run: `Usage: tunnelwatch run [--cloudflared PATH|emulator] [--listen HOST:PORT] [--settings FILE] [--set K=V]...
                       [--for DURATION] [--time-scale N]
       tunnelwatch run --attach LOGFILE --metrics HOST:PORT [options]

Runs cloudflared under supervision (restarts with backoff, crash-loop breaker, hang detection), parses
every line it writes and ships every record — its own and cloudflared's — to stdout as JSON lines, and to
Loki and syslog when configured (logs.loki, logs.syslog), through a disk spool that survives restarts.

  --cloudflared PATH|emulator  the connector binary (default: cloudflared.binary, "cloudflared" on PATH);
                               "emulator" runs the built-in emulator, and without a tunnel token also
                               starts an emulated Cloudflare API and origins for it
  --listen HOST:PORT           where /metrics, /healthz, /readyz and /status are served (server.listen)
  --settings FILE              settings file (or TUNNELWATCH_SETTINGS)
  --set K=V                    one setting, e.g. --set cloudflared.haConnections=2
  --for DURATION               stop by itself after this long, as on SIGTERM (e.g. 30s)
  --time-scale N               with the emulator: compress cloudflared's waits (0.1 = ten times faster)
  --attach LOGFILE             attach mode: watch a cloudflared started by someone else (another container of
                               the pod, a systemd unit) through its JSON log file (its --logfile) and its
                               metrics server, instead of running one (cloudflared.attach.logFile)
  --metrics HOST:PORT          where that cloudflared's metrics server listens, its --metrics (cloudflared.metrics)

Before cloudflared first starts, run checks that its binary is there and executable, that a well-formed tunnel
token is given (unless cloudflared.config or cloudflared.extraArgs name the tunnel another way) and that
cloudflared.metrics can be bound; each failure is one line naming the setting and the fix, and the exit code is 1.

In attach mode everything else is as above (health, diagnosis, probes, edge view, alerts, shipping); the log file
is followed through rotation and truncation, from where the last run stopped (else its end; cloudflared.attach.from);
restarts asked by policy are a SIGTERM to the pid in cloudflared.attach.pidFile (shared process namespace), else
its orchestrator's to do; and stopping tunnelwatch leaves cloudflared running.

On SIGTERM or SIGINT cloudflared gets one SIGTERM and its grace period, then SIGKILL; records are flushed
and shipped, and the exit code says how it ended: 0 clean, 3 cloudflared had to be killed, 4 crash loop.
`,
  settings: `Usage: tunnelwatch settings [--settings FILE] [--set K=V]...

Prints the effective settings as JSON (secrets print as <secret>; durations as settings write them, e.g.
"30s"), then every setting with its environment variable and --set name.
`,
  rules: `Usage: tunnelwatch rules [--runbook-base-url URL] [--group-labels L1,L2] [--no-watchdog] [--operator]

Prints tunnelwatch's alerts as a Prometheus rule file: the alerts the built-in engine evaluates (same names,
for, labels and annotations), for a Prometheus, Mimir or Thanos ruler; promtool unit tests for them are in the
repository (alerts/tunnelwatch.rules.test.yaml). The deploy/kubernetes manifests already hold them.

  --runbook-base-url URL  point every runbook_url at URL/<Alert>.md: your copy of docs/runbooks (a wiki, a
                          docs site, or one tunnelwatch's own /runbooks); default: the project's repository
  --group-labels L1,L2    the labels every join keeps and every per-replica alert carries (default:
                          cluster,namespace, as the monitoring mixins); empty for none
  --no-watchdog           leave out the Watchdog (kube-prometheus-stack already sends one)
  --operator              print a PrometheusRule for the Prometheus Operator instead

Exit status: 0 printed, 1 the rule file cannot be read, 2 usage error.
`,
  'node-zone': `Usage: tunnelwatch node-zone --out FILE [--node NAME] [--api-server URL] [--service-account-dir DIR]

Asks the Kubernetes API for the zone label of the node this pod runs on (topology.kubernetes.io/zone, else
failure-domain.beta.kubernetes.io/zone) and writes it to FILE for identity.zoneFile: the init step for clusters
before 1.33, where the downward API cannot give a pod its node's labels. When the zone cannot be read, FILE is
written empty, the cause and its fix are printed, and the exit status is still 0: a missing zone label must
not keep the connector from starting; tunnelwatch warns again when it reads the empty file.

  --out FILE                  where the zone is written (replaced whole)
  --node NAME                 the node (default: $NODE_NAME, from spec.nodeName by the downward API)
  --api-server URL            the API server (default: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT)
  --service-account-dir DIR   the token and ca.crt (default /var/run/secrets/kubernetes.io/serviceaccount)

Exit status: 0 FILE written (with the zone or empty), 1 FILE cannot be written, 2 usage error.
`,
  demo: `Usage: tunnelwatch demo [--listen HOST:PORT] [--for DURATION] [--time-scale N] [--settings FILE] [--set K=V]...

Runs tunnelwatch the way production does — supervising its connector, watching it, probing its origins,
asking the Cloudflare API — against an emulated world on loopback: a Cloudflare API emulator holding one
tunnel, tunnelwatch's own emulated cloudflared plus one more replica (real processes), and three origins
(HTTP, SSH-like TCP, and a dead port). No real cloudflared, token or network is needed.

  --listen HOST:PORT  where the status page, /status and /metrics are served (default 127.0.0.1:9330)
  --for DURATION      after the checks, keep running this long, then stop (default: until Ctrl-C)
  --time-scale N      compress cloudflared's waits (0.1 = ten times faster); default 1
`,
  emulate: `Usage: tunnelwatch emulate cloudflared [cloudflared arguments...]
       tunnelwatch emulate api [--listen HOST:PORT] [--state FILE]

cloudflared   runs the cloudflared emulator with cloudflared's own command line, e.g.
              tunnelwatch emulate cloudflared tunnel --no-autoupdate --metrics 127.0.0.1:20241 run
              (token from TUNNEL_TOKEN; emulator knobs are CFEMU_* variables, see docs/emulator.md)
api           serves the Cloudflare v4 tunnel API emulator until SIGTERM and prints its URL as JSON
`,
  version: `Usage: tunnelwatch version

Prints tunnelwatch's version (also \`tunnelwatch --version\`).
`,
} as const;

export type CommandName = keyof typeof COMMAND_USAGE;
