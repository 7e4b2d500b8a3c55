#!/usr/bin/env bash
# Builds (or finds in its cache) the real Grafana Loki the integration suite and the Loki benchmark ship to, and
# prints the binary's path. The build is the shared script's (../shared/loki/build.sh beside this repository, or
# /work/shared/loki/build.sh): an official Loki source snapshot, cached by its checksum under
# ${XDG_CACHE_HOME:-~/.cache}/tunnelwatch/. TUNNELWATCH_LOKI_BIN names a Loki binary to use instead.
# Anything missing fails loudly: the suites that need Loki never skip.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fail() { echo "build-loki: $*" >&2; exit 1; }

if [ -n "${TUNNELWATCH_LOKI_BIN:-}" ]; then
  [ -x "$TUNNELWATCH_LOKI_BIN" ] || fail "TUNNELWATCH_LOKI_BIN=$TUNNELWATCH_LOKI_BIN is not an executable file"
  echo "$TUNNELWATCH_LOKI_BIN"; exit 0
fi
for script in "$repo/../shared/loki/build.sh" /work/shared/loki/build.sh; do
  if [ -x "$script" ]; then
    bin="$("$script" | tail -1)" || fail "$script failed (its output is above)"
    [ -x "$bin" ] || fail "$script printed '$bin', which is not an executable file"
    echo "$bin"; exit 0
  fi
done
fail "no Loki build script: expected ../shared/loki/build.sh beside this repository or /work/shared/loki/build.sh, or set TUNNELWATCH_LOKI_BIN to a Loki 3 binary"
