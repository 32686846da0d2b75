# syntax=docker/dockerfile:1
# Muninn images: one build, two targets.
#   docker build --target management -t muninn/management .
#   docker build --target server     -t muninn/server .
# test/deploy/image.e2e-spec.ts replays the build stage's COPY/RUN lines and each target's CMD on the
# host (there is no Docker engine on the development machines), so keep them plain shell commands.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: with a lockfile made on Linux, `npm ci` trips over other platforms'
# optional packages (see STACK.md); `npm install` leaves the lockfile as it is.
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund
COPY . .
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Application files stay owned by root (read-only for the app); only the embedded core DB
# directory of a standalone node is writable.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY deploy/docker/healthcheck.mjs ./deploy/docker/healthcheck.mjs
RUN mkdir -p /app/.muninn && chown 1000:1000 /app/.muninn
# uid 1000 is the `node` user of the official image; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
ENTRYPOINT ["tini", "--"]

FROM runtime AS management
ENV BIND=:14000
EXPOSE 14000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/deploy/docker/healthcheck.mjs", "/health/live"]
CMD ["node", "dist/apps/management/apps/management/src/main.js"]

FROM runtime AS server
ENV BIND=:15000
EXPOSE 15000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "/app/deploy/docker/healthcheck.mjs", "/health/live"]
CMD ["node", "dist/apps/worker/apps/worker/src/main.js"]
