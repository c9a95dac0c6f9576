/**
 * Test support: Debian's chromium driven by playwright-core (launched by path, headless, in a throw-away profile),
 * for the portal's browser suites.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** Debian's chromium binary; `HSMLINK_CHROMIUM` names another. */
export const CHROMIUM =
  process.env.HSMLINK_CHROMIUM ??
  ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p)) ??
  "chromium";

/** A headless chromium with one page, 1600×1000; `close()` ends it and removes its profile. */
export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

/** Launches {@link CHROMIUM} headless in a fresh profile, without network services of its own (no QUIC, sync, updates). */
export async function launchChromium(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), "hsmlink-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1600, height: 1000 },
  });
  const page = await context.newPage();
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
