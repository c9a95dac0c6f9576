// The how-to end to end: `npm run walkthrough` (examples/walkthrough.ts) must finish with every step as promised.
import { clientSuite } from "../support/clients.js";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const { test } = clientSuite("az", "nslookup");

test("npm run walkthrough follows every step of the how-to and exits 0", () => {
  const script = fileURLToPath(new URL("../../examples/walkthrough.ts", import.meta.url));
  const r = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8", timeout: 600_000 });
  assert.equal(r.status, 0, `${r.stdout.slice(-3000)}\n${r.stderr}`);
  assert.match(r.stdout, /walkthrough: all \d+ steps gave what the how-to describes/);
  assert.doesNotMatch(r.stdout, /DIFFERENT/);
});
