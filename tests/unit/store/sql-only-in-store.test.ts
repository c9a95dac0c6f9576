// SQL lives only in src/store/ (issue 10 item 4): no module elsewhere prepares, executes or wraps SQL itself.
// dependency-cruiser (.dependency-cruiser.cjs, rule sql-only-in-store) forbids importing better-sqlite3 outside
// src/store/; a call on a Store's `db` handle needs no import, so this test looks for the calls.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const SRC = join(ROOT, "src");

/** better-sqlite3 calls that carry SQL or open a transaction: `.prepare(`, `db.exec(`, `.transaction(`, `.pragma(`. */
const SQL_CALL = /\.prepare\s*\(|\bdb\s*\.\s*exec\s*\(|\.transaction\s*\(|\.pragma\s*\(|\.prepareUncached\s*\(/;

/** The lines of `text` that call SQL directly, as `line: text`. */
function sqlCalls(text: string): string[] {
  return text
    .split("\n")
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => SQL_CALL.test(line))
    .map(({ line, n }) => `${n}: ${line.trim()}`);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|tsx|mts)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

test("the check recognises each form of a direct SQL call (and not a regular expression's exec)", () => {
  assert.equal(sqlCalls('store.db.prepare("SELECT 1").get()').length, 1);
  assert.equal(sqlCalls("this.store.db\n  .prepare(\n  'x')").length, 1);
  assert.equal(sqlCalls('s.db.exec("DETACH DATABASE source")').length, 1);
  assert.equal(sqlCalls("store.db.transaction(() => {})()").length, 1);
  assert.equal(sqlCalls('db.pragma("defer_foreign_keys = ON")').length, 1);
  assert.equal(sqlCalls("const m = /^a$/.exec(p);").length, 0);
  assert.equal(sqlCalls("store.tx(() => repo.put(x));").length, 0);
});

test("no module outside src/store/ calls SQL directly", () => {
  const offenders = sourceFiles(SRC)
    .filter((f) => !relative(SRC, f).startsWith(`store/`))
    .flatMap((f) => sqlCalls(readFileSync(f, "utf8")).map((l) => `${relative(ROOT, f)}:${l}`));
  assert.deepEqual(
    offenders,
    [],
    `SQL outside src/store/ (move it into a module under src/store/):\n${offenders.join("\n")}`,
  );
});
