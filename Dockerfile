# syntax=docker/dockerfile:1
# tunnelwatch with cloudflared inside: tunnelwatch is the entrypoint and runs cloudflared as its supervised child.
#   docker build -t tunnelwatch:0.1.0 .
#   docker run --init ... is not needed: tini is PID 1 here (see docs/deploy.md for the full run line).

# cloudflared comes from Cloudflare's official image at a pinned version. Renew tag and digest together each
# quarter (docs/deploy.md, "quarterly version updates"). Get the digest with
#   docker buildx imagetools inspect cloudflare/cloudflared:2026.8.2 --format '{{json .Manifest.Digest}}'
# and pin it as cloudflare/cloudflared:2026.8.2@sha256:<digest> (digest: fill in at release time).
FROM cloudflare/cloudflared:2026.8.2 AS cloudflared

FROM node:22-bookworm-slim AS build
WORKDIR /src
# Dependencies before sources so a source edit reuses the cached install. --ignore-scripts skips `prepare`
# (it compiles, and the sources are not here yet); `npm run build` below does that step.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle.ts ./scripts/bundle.ts
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:22-bookworm-slim AS runtime
# tini as PID 1 forwards SIGTERM to tunnelwatch (which drains cloudflared) and reaps orphans. The version
# is pinned up to the Debian revision: binNMU suffixes (+b3) differ per architecture.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-* \
 && rm -rf /var/lib/apt/lists/*

# A numeric, dedicated user so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
RUN groupadd --system --gid 10001 tunnelwatch \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin tunnelwatch \
 && mkdir -p /var/lib/tunnelwatch \
 && chown 10001:10001 /var/lib/tunnelwatch

COPY --from=cloudflared /usr/local/bin/cloudflared /usr/local/bin/cloudflared
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
# Served at /runbooks: the runbook_url of every alert this replica sends points there by default.
COPY docs/runbooks ./docs/runbooks
# `tunnelwatch rules` prints the alert rules from here.
COPY alerts/tunnelwatch.rules.yaml ./alerts/tunnelwatch.rules.yaml

# Everything tunnelwatch writes (log spool, the connector pid file) lives in the volume, so the root
# filesystem can be mounted read-only.
ENV NODE_ENV=production \
    TUNNELWATCH_CLOUDFLARED_BINARY=/usr/local/bin/cloudflared \
    TUNNELWATCH_LOGS_SPOOL_DIR=/var/lib/tunnelwatch
VOLUME /var/lib/tunnelwatch

USER 10001:10001
EXPOSE 9464
# Liveness of tunnelwatch itself (not of the tunnel: a disconnected tunnel is what tunnelwatch reports,
# not a reason to restart it). The slim image has no curl, so node asks; the port follows server.listen.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const p=(process.env.TUNNELWATCH_SERVER_LISTEN||':9464').split(':').pop();fetch('http://127.0.0.1:'+p+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# tunnelwatch sends cloudflared one SIGTERM, waits out its grace period, then exits 0/3/4.
STOPSIGNAL SIGTERM
# bin/tunnelwatch runs as a program, so Node gets the flags on its first line (V8 sizes its heap by them).
ENTRYPOINT ["/usr/bin/tini", "--", "/app/bin/tunnelwatch", "run"]
