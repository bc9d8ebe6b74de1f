# syntax=docker/dockerfile:1
#
# One image for both Tideline apps; the container command picks which one runs:
#   node dist/apps/api/src/main.js             (HTTP API, PORT, default 3000)
#   node dist/apps/fanout-worker/src/main.js   (Kafka fan-out worker, health/metrics on WORKER_HTTP_PORT, default 9464)
# The default CMD runs the API. Healthchecks are defined in docker-compose.yml.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full install, compile both apps, then drop dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# No install-time telemetry (swagger-ui-dist pulls in @scarf/scarf) and no update/funding chatter.
ENV SCARF_ANALYTICS=false \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
# Dependencies first so this layer is cached until package*.json change.
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build \
 && test -f dist/apps/api/src/main.js \
 && test -f dist/apps/fanout-worker/src/main.js \
 && npm prune --omit=dev

# ---- runtime: production node_modules + compiled output, non-root ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Files stay owned by root (read-only for the app user); the process runs as the image's unprivileged `node` user.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The versioned CQL migrations, applied by the apps at start (MIGRATE_ON_START).
COPY --from=build /app/libs/storage-cassandra/schema ./libs/storage-cassandra/schema
USER node
EXPOSE 3000 9464
CMD ["node", "dist/apps/api/src/main.js"]
