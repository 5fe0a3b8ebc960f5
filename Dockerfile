# atkafka's image: built with the dev dependencies, run with only dist/ and the production ones.
#   docker build -t atkafka .
#   docker run --rm -p 2112:2112 -e ATKAFKA_BOOTSTRAP_SERVERS=kafka:9092 atkafka            # relay mode
#   docker run --rm -e ATKAFKA_BOOTSTRAP_SERVERS=kafka:9092 -e ATKAFKA_TAP_HOST=ws://tap:2480 atkafka firehose tap
#   docker run --rm -it -e ATKAFKA_BOOTSTRAP_SERVERS=kafka:9092 atkafka tail --from-beginning
# Every option is an ATKAFKA_* variable (docs/configuration.md) or a flag after the command.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# no dependency has an install script; skipping them also skips `prepare` (the build, below)
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# the image's own unprivileged user (uid 1000); atkafka writes nothing to disk
USER node
EXPOSE 2112
# /healthz on the metrics port (ATKAFKA_METRICS_ADDRESS / METRICS_LISTEN_ADDRESS, default 2112);
# slim has no curl, node's fetch does it
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const a=process.env.ATKAFKA_METRICS_ADDRESS||process.env.METRICS_LISTEN_ADDRESS||'2112';fetch('http://127.0.0.1:'+a.slice(a.lastIndexOf(':')+1)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# the same V8 flags as bin/atkafka.js (peak RSS, docs/performance.md)
ENTRYPOINT ["node", "--max-semi-space-size=8", "--heap-growing-percent=150", "--no-allocation-site-pretenuring", "dist/cli/main.js"]
CMD ["firehose", "relay"]
