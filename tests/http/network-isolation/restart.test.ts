// VMs are durable: after a restart their DNS listeners come back (on the same port when free) and still answer.
import { test } from "node:test";
import { needs } from "../../support/clients.js";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { rmSync } from "node:fs";
import { startTestHsmlink } from "../../support/hsmlink.js";
import { startHsmlink } from "../../../src/server/hsmlink.js";
import { adminRequest } from "../../../src/client/admin-client.js";
import { createVm, seedHowTo, type VmView } from "./topology.js";

const run = promisify(execFile);

test("VM DNS listeners come back after a restart", needs("dig"), async () => {
  const h = await startTestHsmlink({}, { inMemory: false });
  seedHowTo(h);
  const vm = await createVm(h, "vm1", "vnet1");
  const config = h.config;
  await h.close();
  const h2 = await startHsmlink(config);
  try {
    const shown = await adminRequest<VmView>(h2.endpoints, "GET", "/_hsmlink/vms/vm1");
    assert.equal(shown.privateIpAddress, vm.privateIpAddress);
    assert.ok(shown.dns.port > 0);
    const { stdout } = await run("dig", [
      "@" + shown.dns.host,
      "-p",
      String(shown.dns.port),
      "hsm1.managedhsm.azure.net",
      "+short",
    ]);
    assert.equal(stdout.trim().split("\n").pop(), "10.0.1.4");
  } finally {
    await h2.close();
    rmSync(config.dataDir, { recursive: true, force: true });
  }
});
