# syntax=docker/dockerfile:1
# Zaplecze images. Multi-stage: the build stage compiles the server (esbuild strips types,
# scripts/build.mjs; type checks are CI's `npm run typecheck`), builds the web client (Vite,
# into dist/web) and exports the gateway's site (dist/gateway: the all-in-one OpenAPI document
# and a static Swagger UI) with every dependency. Two images come out of it:
#   app      (the default, last stage) production dependencies, dist/ and the migrations; every
#            deployable (DEPLOYMENT=all-in-one|identity|commerce|realtime|worker) runs it.
#   gateway  Caddy 2 with deploy/gateway/Caddyfile (generated from ROUTES) and dist/gateway.
#   docker build -t zaplecze .                                     (the app)
#   docker build --target gateway -t zaplecze-gateway .
#   docker run -p 3000:3000 -v zaplecze-data:/data zaplecze          (embedded PostgreSQL in /data)
# The split behind the gateway, on PostgreSQL, Redis, NATS and S3, is compose.yaml.

# Node 24, the Active LTS line (Node 20's support ended on 2026-04-30); the quick start still runs
# on Node 20.19+, and CI runs the built server on both (.ci/run's smoke tests).
# The build output is JavaScript and static files only, so this stage runs on the builder's own
# platform: a multi-platform build (linux/amd64 + linux/arm64) compiles once, without emulation.
FROM --platform=$BUILDPLATFORM node:24-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so source edits do not invalidate the npm layer.
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
# All of scripts/: `npm run build:gateway` runs the gateway's site export besides build.mjs.
COPY scripts ./scripts
COPY src ./src
COPY web ./web
# The gateway's site export opens the all-in-one app on an embedded database to read its OpenAPI
# document, and opening it applies the migrations.
COPY drizzle ./drizzle
RUN npm run build
RUN npm run build:gateway

FROM caddy:2 AS gateway
# The Caddyfile reads PORT, IDENTITY_UPSTREAMS, COMMERCE_UPSTREAMS, REALTIME_UPSTREAMS and
# GATEWAY_SITE from the environment (see compose.yaml and deploy/k8s/).
ENV PORT=3000 \
    GATEWAY_SITE=/srv/gateway
COPY deploy/gateway/Caddyfile /etc/caddy/Caddyfile
COPY --from=build /app/dist/gateway /srv/gateway
EXPOSE 3000
# The image's default command: caddy run --config /etc/caddy/Caddyfile --adapter caddyfile

FROM node:24-bookworm-slim AS app
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
# Production dependencies only. @node-rs/argon2 and PGlite ship prebuilt binaries / wasm inside
# their npm packages, so no install scripts or compilers are needed.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force \
    && mkdir -p /data \
    && chown node:node /data
COPY --from=build /app/dist ./dist
# Migrations are applied at start, on the embedded database and on PostgreSQL alike.
COPY drizzle ./drizzle
USER node
EXPOSE 3000
# The embedded database, the generated JWT secret and local files live here.
VOLUME /data
# (dockerfilelint 1.8 flags --start-period as invalid: it predates that flag, Docker has it since 17.05.)
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node as PID 1 receives SIGTERM directly and shuts down gracefully (see src/platform/shutdown.ts).
CMD ["node", "dist/main.js"]
