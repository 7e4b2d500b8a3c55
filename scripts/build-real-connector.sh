#!/usr/bin/env bash
# Builds the real cloudflared and the loopback edge (test/edge/, compiled inside cloudflared's own source tree so it
# speaks the tunnel protocol with cloudflared's packages) and prints two lines: `cloudflared=PATH` and `edge=PATH`.
#
# The source is the official cloudflared tarball with vendored modules, found in this order:
#   TUNNELWATCH_CLOUDFLARED_SRC   a cloudflared-<version>-src.tar.xz
#   ../shared/cloudflared/        beside this repository (or /work/shared/cloudflared/)
# TUNNELWATCH_CLOUDFLARED_BIN names a cloudflared binary to use instead of the one built here (the edge is still
# built from the tarball). Go >= 1.26: TUNNELWATCH_GO, else ../shared/toolchain/go.sh, else `go` on PATH.
# Both are cached under ${XDG_CACHE_HOME:-~/.cache}/tunnelwatch/real-connector/, keyed by the tarball's checksum (and
# the edge's sources for the edge). Anything missing fails loudly: the real-connector suite never skips.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fail() { echo "build-real-connector: $*" >&2; exit 1; }

tarball="${TUNNELWATCH_CLOUDFLARED_SRC:-}"
if [ -z "$tarball" ]; then
  for dir in "$repo/../shared/cloudflared" /work/shared/cloudflared; do
    found="$(ls "$dir"/cloudflared-*-src.tar.xz 2>/dev/null | sort -V | tail -1 || true)"
    [ -n "$found" ] && { tarball="$found"; break; }
  done
fi
[ -n "$tarball" ] && [ -f "$tarball" ] || fail "no cloudflared source tarball: set TUNNELWATCH_CLOUDFLARED_SRC to a cloudflared-<version>-src.tar.xz (looked in ../shared/cloudflared and /work/shared/cloudflared)"
if [ -f "$(dirname "$tarball")/SHA256SUMS" ]; then
  ( cd "$(dirname "$tarball")" && sha256sum --quiet -c SHA256SUMS ) >&2 || fail "$tarball does not match its SHA256SUMS"
fi
version="$(basename "$tarball" | sed -E 's/^cloudflared-(.+)-src\.tar\.xz$/\1/')"
sum="$(sha256sum "$tarball" | cut -d' ' -f1)"
edge_sum="$(cat "$repo"/test/edge/*.go | sha256sum | cut -d' ' -f1)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tunnelwatch/real-connector/${sum:0:16}"
cloudflared="${TUNNELWATCH_CLOUDFLARED_BIN:-$cache/cloudflared}"
edge="$cache/loopback-edge-${edge_sum:0:16}"

if [ ! -x "$cloudflared" ] || [ ! -x "$edge" ]; then
  go="${TUNNELWATCH_GO:-}"
  if [ -z "$go" ] && [ -x "$repo/../shared/toolchain/go.sh" ]; then go="$("$repo/../shared/toolchain/go.sh")"; fi
  if [ -z "$go" ] && [ -x /work/shared/toolchain/go.sh ]; then go="$(/work/shared/toolchain/go.sh)"; fi
  [ -z "$go" ] && go="$(command -v go || true)"
  [ -n "$go" ] && [ -x "$go" ] || fail "no Go toolchain: set TUNNELWATCH_GO or install Go >= 1.26"
  mkdir -p "$cache"
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
  tar -xJf "$tarball" -C "$work"
  tree="$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)"
  [ -f "$tree/go.mod" ] && [ -d "$tree/vendor" ] || fail "$tarball is not a cloudflared source tree with vendored modules"
  build() { ( cd "$tree" && GOFLAGS=-mod=vendor GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=0 GOCACHE="$cache/.gocache" "$go" build -trimpath "$@" ) >&2; }
  if [ ! -x "$cloudflared" ]; then
    echo "building cloudflared $version (about 2 minutes the first time)" >&2
    build -ldflags "-X main.Version=$version -X main.BuildTime=2026-08-20" -o "$cache/cloudflared.tmp" ./cmd/cloudflared
    mv "$cache/cloudflared.tmp" "$cache/cloudflared"
  fi
  if [ ! -x "$edge" ]; then
    echo "building the loopback edge against cloudflared $version" >&2
    unformatted="$("$(dirname "$go")/gofmt" -l "$repo"/test/edge/*.go)"
    [ -z "$unformatted" ] || fail "gofmt would change: $unformatted"
    mkdir -p "$tree/cmd/loopback-edge"
    cp "$repo"/test/edge/*.go "$tree/cmd/loopback-edge/"
    rm -f "$cache"/loopback-edge-*
    build -o "$edge.tmp" ./cmd/loopback-edge
    mv "$edge.tmp" "$edge"
  fi
fi
"$cloudflared" --version >/dev/null 2>&1 || fail "$cloudflared does not run (--version failed)"
echo "cloudflared=$cloudflared"
echo "edge=$edge"
