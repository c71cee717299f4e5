# One image per service, built from the lockfile: `docker build --target api|worker|web .`
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node

FROM runtime AS api
EXPOSE 8080
CMD ["node", "dist/api/main.js"]

FROM runtime AS worker
CMD ["node", "dist/worker/main.js"]

FROM runtime AS web
EXPOSE 3000
CMD ["node", "dist/web/main.js"]

FROM runtime AS migrate
CMD ["node", "dist/db/migrate-cli.js"]
