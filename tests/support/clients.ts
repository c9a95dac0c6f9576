/**
 * Test support: the real clients the client suites drive (az, dig, Debian's Python Azure SDKs, chromium, curl),
 * and what a suite does when one is missing. A missing client skips the suite (or the test) with one loud line per
 * client naming the Debian package to install; with `HSMLINK_REQUIRE_CLIENTS=1` (set by .ci/run) a missing client
 * is a failure instead, so CI proves every suite ran.
 *
 *   const { test, before, after } = clientSuite("az");       // a whole file needs az
 *   test("…", needs("dig"), async () => { … });              // one test needs dig
 */
import { test as nodeTest, before as nodeBefore, after as nodeAfter } from "node:test";
import { accessSync, constants, openSync, closeSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { delimiter, join } from "node:path";
import { tmpdir } from "node:os";

/** A real client a test drives. */
export type RealClient = "az" | "dig" | "nslookup" | "curl" | "python3" | "python3-azure" | "chromium" | "openssl";

/** The Debian package that provides each client. */
export const CLIENT_PACKAGES: Readonly<Record<RealClient, string>> = {
  az: "azure-cli",
  dig: "dnsutils",
  nslookup: "dnsutils",
  curl: "curl",
  python3: "python3",
  "python3-azure": "python3-azure",
  chromium: "chromium",
  openssl: "openssl",
};

/** True when an executable named `name` is on PATH. */
function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      /* not in this directory */
    }
  }
  return false;
}

const found = new Map<RealClient, boolean>();

/** True when `client` is installed. Debian's Python SDKs are checked by importing them with /usr/bin/python3. */
export function clientAvailable(client: RealClient): boolean {
  let ok = found.get(client);
  if (ok === undefined) {
    if (client === "python3-azure") {
      ok =
        spawnSync("/usr/bin/python3", ["-c", "import azure.keyvault.keys, azure.keyvault.administration"], {
          stdio: "ignore",
        }).status === 0;
    } else if (client === "chromium") {
      ok = onPath("chromium") || onPath("chromium-browser");
    } else {
      ok = onPath(client);
    }
    found.set(client, ok);
  }
  return ok;
}

/** True when `HSMLINK_REQUIRE_CLIENTS=1`: a missing client fails instead of skipping. */
export function clientsRequired(): boolean {
  return process.env.HSMLINK_REQUIRE_CLIENTS === "1";
}

/** The sentence that names a missing client and its package. */
function missingText(client: RealClient): string {
  return `${client} is not installed (Debian package ${CLIENT_PACKAGES[client]}: apt-get install ${CLIENT_PACKAGES[client]})`;
}

/** Prints the skip line for `client` once per test run (the runner's child processes share its pid as ppid). */
function announceSkip(client: RealClient): void {
  const marker = join(tmpdir(), `hsmlink-skip-${process.ppid}-${client}`);
  try {
    closeSync(openSync(marker, "wx"));
  } catch {
    return;
  }
  process.stderr.write(
    `\n*** SKIPPING the ${client} client tests: ${missingText(client)}; set HSMLINK_REQUIRE_CLIENTS=1 to make this a failure ***\n\n`,
  );
}

/**
 * Checks `clients`.
 * @returns the skip reason when one is missing, undefined when all are there
 * @throws Error naming the missing clients and their packages when HSMLINK_REQUIRE_CLIENTS=1
 */
export function missingClients(...clients: RealClient[]): string | undefined {
  const missing = clients.filter((c) => !clientAvailable(c));
  if (missing.length === 0) return undefined;
  if (clientsRequired()) {
    throw new Error(`HSMLINK_REQUIRE_CLIENTS=1 and a real client is missing: ${missing.map(missingText).join("; ")}`);
  }
  for (const c of missing) announceSkip(c);
  return missing.map(missingText).join("; ");
}

/** node:test options for one test that needs `clients`: `{ skip: reason }` when one is missing (see {@link missingClients}). */
export function needs(...clients: RealClient[]): { skip?: string } {
  const reason = missingClients(...clients);
  return reason ? { skip: reason } : {};
}

type TestFn = typeof nodeTest;

/**
 * node:test's `test`, `before` and `after` for a file whose every test needs `clients`. When one is missing, every
 * test is reported as skipped with the reason and the hooks do nothing (nothing is started);
 * with HSMLINK_REQUIRE_CLIENTS=1 the file fails at load naming the missing clients.
 */
export function clientSuite(...clients: RealClient[]): {
  test: TestFn;
  before: typeof nodeBefore;
  after: typeof nodeAfter;
} {
  const reason = missingClients(...clients);
  if (!reason) return { test: nodeTest, before: nodeBefore, after: nodeAfter };
  const skipped = ((name: string) => nodeTest(name, { skip: reason }, () => {})) as unknown as TestFn;
  const noHook = (() => {}) as unknown as typeof nodeBefore;
  return { test: skipped, before: noHook, after: noHook as unknown as typeof nodeAfter };
}
