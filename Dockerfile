# wispd production image: the compiled JavaScript, production dependencies (optional native binaries such as chDB's
# engine included), running as a non-root user. Data of the embedded stores and spools: /var/lib/wispd.
#   docker build -t wispd .
#   docker run --rm -e WISPD_DATABASE_URL=postgres://… wispd check-config

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY scripts/complete-lockfile.mjs scripts/
RUN npm ci
COPY . .
# Compile, then drop the development dependencies. --omit=dev keeps optional dependencies; never --omit=optional,
# which would drop chDB's engine.
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# Never the demo login in an image (the example config turns it on for a first `npm start`).
ENV NODE_ENV=production \
    WISPD_DAEMON_DATA_DIR=/var/lib/wispd \
    WISPD_RADIUS_DEMO=false
WORKDIR /opt/wispd
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY config/wispd.example.yaml /etc/wispd/wispd.yaml
RUN mkdir -p /var/lib/wispd && chown node:node /var/lib/wispd
USER node
VOLUME /var/lib/wispd
# RADIUS authentication and accounting, the staff panel and API, the telemetry push endpoint. CoA and Disconnect go
# out from an ephemeral port to each NAS's CoA port (3799): nothing listens for them here.
EXPOSE 1812/udp 1813/udp 3000/tcp 8086/tcp
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/wispd.js"]
CMD ["start", "--config", "/etc/wispd/wispd.yaml"]
