#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js and what it imports) into one ES module, dist/cli/hsmlink.mjs, which
// bin/hsmlink.js runs when it is at least as new as dist/cli/main.js. Node's ES module loader spends about half of
// `hsmlink start` resolving, reading and translating ~150 modules one by one; one file removes that (README,
// Performance). `npm run build` (and `prepare`) run this after tsc.
//
// The bundle sits in dist/cli/ like main.js, so the module-relative paths in the sources (../../package.json,
// ../hsm/crypto-worker.js, ../portal/web/) resolve the same from it; the crypto worker stays a file of its own.
// Packages loaded only on demand (the troubleshooter's @azure/identity, Fastify's inject and schema compilers, the
// portal's layout engine and esbuild, the blob emulator) and better-sqlite3 (a native addon) stay in node_modules.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
await build({
  entryPoints: [`${root}dist/cli/main.js`],
  outfile: `${root}dist/cli/hsmlink.mjs`,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: [
    "better-sqlite3",
    "azurite",
    "esbuild",
    "playwright-core",
    "@azure/*",
    "ajv",
    "fast-json-stringify",
    "light-my-request",
    "elkjs",
  ],
  // CommonJS packages inside an ES module bundle call require() for Node's built-ins.
  banner: {
    js: 'import { createRequire as __bundleCreateRequire } from "node:module"; const require = __bundleCreateRequire(import.meta.url);',
  },
  // Whitespace and syntax are minified to parse faster. No keepNames: it wraps every function expression in a
  // defineProperty call, per request for closures on the hot path (nothing in hsmlink reads constructor names).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
});
