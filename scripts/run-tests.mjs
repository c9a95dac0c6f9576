#!/usr/bin/env node
// Runs the node:test suites with TypeScript through tsx. Node 20's --test has no globbing, so the files are
// listed here. Usage: node scripts/run-tests.mjs [dir-or-file …]   (default: tests/)
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function collect(p, out) {
  const st = statSync(p);
  if (st.isFile()) {
    if (p.endsWith(".test.ts")) out.push(p);
    return out;
  }
  for (const e of readdirSync(p).sort()) collect(join(p, e), out);
  return out;
}

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ["tests"];
const files = roots.flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error("no test files found under", roots.join(" "));
  process.exit(1);
}
const args = [
  "--import",
  "tsx",
  "--test",
  "--test-reporter=spec",
  `--test-concurrency=${process.env.HSMLINK_TEST_CONCURRENCY ?? 2}`,
  ...files,
];
const r = spawnSync(process.execPath, args, { stdio: "inherit" });
process.exit(r.status ?? 1);
