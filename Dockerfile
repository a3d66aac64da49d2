# syntax=docker/dockerfile:1
# Zaplecze API image. Multi-stage: the build stage compiles the server (esbuild strips types,
# scripts/build.mjs; type checks are CI's `npm run typecheck`) and builds the web client (Vite,
# into dist/web) with every dependency; the runtime stage holds production dependencies,
# dist/ (server and web client) and the migrations only.
#   docker build -t zaplecze .
#   docker run -p 3000:3000 -v zaplecze-data:/data zaplecze          (embedded PostgreSQL in /data)
# The distributed setup (PostgreSQL, Redis, NATS, S3) is compose.yaml.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so source edits do not invalidate the npm layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/build.mjs ./scripts/
COPY src ./src
COPY web ./web
RUN npm run build

FROM node:20-bookworm-slim AS runtime
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
