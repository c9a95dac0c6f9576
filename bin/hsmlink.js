#!/usr/bin/env node
// The installed entry point runs the compiled CLI (`npm install` builds it through the `prepare` script).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
const main = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("hsmlink: not built yet; run 'npm install' (or 'npm run build') in the hsmlink folder first\n");
  process.exit(2);
}
await import(main.href);
