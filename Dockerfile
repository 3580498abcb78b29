# rdp-fix container: build with dev dependencies, run with production ones, as a non-root user.
# Node.js 24 LTS (Node 20 is end-of-life since April 2026).
FROM node:24-bookworm-slim AS build
WORKDIR /app
# No compiler needed: better-sqlite3 13 ships prebuilt binaries inside its npm package.
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3978 HOST=0.0.0.0 DATABASE_URL=sqlite:/data/rdp-fix.db
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json
COPY bin ./bin
COPY dialogs ./dialogs
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3978)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
