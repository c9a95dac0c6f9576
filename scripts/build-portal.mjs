#!/usr/bin/env node
// Bundles the portal's browser client (src/portal/web/main.ts, TypeScript) with esbuild into
// dist/portal/web/app.js, next to the compiled server; `npm run build` (and `prepare`) run it after tsc.
// Run from sources (tsx), the portal bundles the same entry point on its first page request instead.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
await build({
  entryPoints: [`${root}src/portal/web/main.ts`],
  outfile: `${root}dist/portal/web/app.js`,
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
