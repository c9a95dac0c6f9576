/**
 * Test support: start an in-process hsmlink on free ports in a fresh temp data dir, and the environment real
 * clients need to reach it (the same lines `hsmlink env` prints).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type HsmlinkConfig } from "../../src/config/settings.js";
import { startHsmlink, type Hsmlink } from "../../src/server/hsmlink.js";
import { clientEnvironment } from "../../src/cli/env.js";
import type { Clock } from "../../src/kernel/clock.js";

export interface TestHsmlink extends Hsmlink {
  /** Environment for child processes (az, dig, node) acting from the internet or, with `vm`, from that VM. */
  clientEnv(vm?: string): NodeJS.ProcessEnv;
  /** Stops hsmlink and removes its data dir. */
  dispose(): Promise<void>;
}

/**
 * Starts hsmlink for one test file. `overrides` are settings keys (e.g. `{ loose: true }`). New managed HSMs are
 * activated at creation (`--activate-new-hsms`) unless `activateNewHsms: false` is given: suites about keys, network
 * or ARM do not run the security-domain ceremony; the security-domain suites turn it off.
 */
export async function startTestHsmlink(
  overrides: Partial<HsmlinkConfig> = {},
  opts: { clock?: Clock; inMemory?: boolean } = {},
): Promise<TestHsmlink> {
  const dataDir = mkdtempSync(join(tmpdir(), "hsmlink-test-"));
  const config = loadConfig(
    {
      dataDir,
      inMemory: opts.inMemory ?? true,
      gatewayPort: 0,
      httpsPort: 0,
      msiPort: 0,
      dnsPort: 0,
      portalPort: 0,
      logLevel: "warn",
      activateNewHsms: true,
      dropAfterSeconds: 0,
      ...overrides,
    },
    {},
  );
  const h = await startHsmlink(config, { clock: opts.clock });
  return Object.assign(h, {
    clientEnv(vm?: string): NodeJS.ProcessEnv {
      const base: NodeJS.ProcessEnv = {};
      for (const k of ["PATH", "HOME", "LANG", "TERM", "TMPDIR", "USER"])
        if (process.env[k] !== undefined) base[k] = process.env[k];
      for (const [k, v] of clientEnvironment(h.endpoints, vm, h.secret)) base[k] = v;
      return base;
    },
    async dispose() {
      await h.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
