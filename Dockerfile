# syntax=docker/dockerfile:1
# One image per service, built from the lockfile: `docker build --target api|worker|web|migrate .`
#
# The base is pinned to an exact Node LTS release, never a floating tag. A release resolves it to a
# digest (`docker buildx imagetools inspect node:24.21.0-bookworm-slim`) and builds with
# `--build-arg NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:…`, so the bytes are fixed as well.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY . .
# dist/ (API, worker, CLIs, prebuilt workflow bundle, migrations) and web/build (the dashboard).
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node

FROM runtime AS api
# `merchant …` in this image is the merchant CLI (`docker compose run --rm api merchant list`).
COPY --chmod=755 deploy/docker/merchant /usr/local/bin/merchant
# `connectors …`: connector accounts and `connectors rotate-keys` after a CONNECTOR_KEYS change.
COPY --chmod=755 deploy/docker/connectors /usr/local/bin/connectors
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT ?? 8080}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/api/main.js"]

FROM runtime AS worker
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=4 CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.WORKER_METRICS_PORT ?? 9091}/metrics`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/worker/main.js"]

FROM runtime AS web
# The dashboard's adapter-node build; dist/web/serve.js finds it at /app/web/build.
COPY --from=build /app/web/build ./web/build
EXPOSE 3000
# A static asset: it answers without the API, so an API outage does not restart the dashboard.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.WEB_PORT ?? 3000}/favicon.svg`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/web/main.js"]

FROM runtime AS migrate
CMD ["node", "dist/db/migrate-cli.js"]
