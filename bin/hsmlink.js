#!/usr/bin/env node
// The installed entry point runs the compiled CLI (`npm install` builds it through the `prepare` script): the
// one-file bundle of it (dist/cli/hsmlink.mjs, scripts/bundle.mjs; it starts in about half the time) unless the
// compiled modules are newer (a `tsc` without the bundle step), else the modules themselves.
import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
const main = new URL("../dist/cli/main.js", import.meta.url);
const bundle = new URL("../dist/cli/hsmlink.mjs", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write("hsmlink: not built yet; run 'npm install' (or 'npm run build') in the hsmlink folder first\n");
  process.exit(2);
}
const fresh = (() => {
  try {
    return statSync(fileURLToPath(bundle)).mtimeMs >= statSync(fileURLToPath(main)).mtimeMs;
  } catch {
    return false;
  }
})();
await import((fresh ? bundle : main).href);
