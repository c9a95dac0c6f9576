// VMs live in resource groups like any resource: deleting the group removes them, their NICs and DNS listeners,
// and frees their addresses.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { armCall } from "../../support/arm-client.js";
import { adminRequest } from "../../../src/client/admin-client.js";

let h: TestHsmlink;
before(async () => {
  h = await startTestHsmlink();
});
after(async () => h?.dispose());

/** Resolves with whether anything answers a DNS query on `port` within a few hundred milliseconds. */
function dnsAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    const q = Buffer.from("12340100000100000000000003777777076578616d706c6503636f6d0000010001", "hex");
    const timer = setTimeout(() => {
      s.close();
      resolve(false);
    }, 500);
    s.once("message", () => {
      clearTimeout(timer);
      s.close();
      resolve(true);
    });
    s.send(q, port, h.endpoints.dns.host);
  });
}

test("deleting a resource group removes its VMs, their NICs and DNS listeners", async () => {
  const sub = h.endpoints.subscriptionId;
  const base = `/subscriptions/${sub}/resourceGroups/rg-vm`;
  assert.equal(
    (
      await armCall(h, "PUT", `/subscriptions/${sub}/resourcegroups/rg-vm?api-version=2021-04-01`, {
        body: { location: "westeurope" },
      })
    ).status,
    201,
  );
  const vnet = await armCall(
    h,
    "PUT",
    `${base}/providers/Microsoft.Network/virtualNetworks/v1?api-version=2022-01-01`,
    {
      body: {
        location: "westeurope",
        properties: {
          addressSpace: { addressPrefixes: ["10.9.0.0/16"] },
          subnets: [{ name: "s1", properties: { addressPrefix: "10.9.1.0/24" } }],
        },
      },
    },
  );
  assert.equal(vnet.status, 201, vnet.text);
  const vm = await adminRequest<{ name: string; privateIpAddress: string; dns: { port: number }; nicId: string }>(
    h.endpoints,
    "POST",
    "/_hsmlink/vms",
    { name: "vmx", resourceGroup: "rg-vm", vnet: "v1", subnet: "s1" },
  );
  assert.equal(vm.privateIpAddress, "10.9.1.4");
  assert.equal(await dnsAnswers(vm.dns.port), true);
  assert.equal((await armCall(h, "GET", `${vm.nicId}?api-version=2022-07-01`)).status, 200);

  const del = await armCall(h, "DELETE", `/subscriptions/${sub}/resourcegroups/rg-vm?api-version=2021-04-01`);
  assert.equal(del.status, 202, del.text);
  const list = await adminRequest<{ value: unknown[] }>(h.endpoints, "GET", "/_hsmlink/vms");
  assert.deepEqual(list.value, []);
  assert.equal(await dnsAnswers(vm.dns.port), false, "the VM's DNS listener is closed");
});
