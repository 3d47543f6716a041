# lockstep: one stateless bot process; all state lives in Redis. Multi-stage: the build stage has the
# dev dependencies (tsc) and a compiler (argon2 is compiled at install); the runtime stage has Node 24,
# the production dependencies and the compiled JavaScript only (no tsx at run time).
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY flows ./flows
COPY adapters ./adapters
RUN npx tsc -p tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HTTP_PORT=8080
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# The code belongs to root and is read-only to the process, which runs as the image's unprivileged user.
USER node
EXPOSE 8080
# Ready only while serving with Redis and every platform reachable (503 while starting and draining).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node is PID 1 and gets SIGTERM itself (no npm or tsx in between); the first SIGTERM drains and exits.
CMD ["node", "dist/src/main.js"]
