// The ARM route table (src/arm/engine.ts ArmRouter) on the kernel's RouteTable: REST-spec templates, literals
// case-insensitive and preferred over parameters, each template's own parameter names, "method" for a 405.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ArmRouter, type ArmHandler } from "../../../src/arm/engine.js";
import { AzureError } from "../../../src/kernel/errors.js";

const named = (name: string): ArmHandler => Object.assign(() => ({ status: 200, body: name }), { label: name });
const label = (m: ReturnType<ArmRouter["match"]>) =>
  typeof m === "object" ? [(m.handler as unknown as { label: string }).label, m.params] : m;

const RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}";
const router = () =>
  new ArmRouter()
    .add(
      "GET",
      `${RG}/providers/Microsoft.Network/privateDnsZones/{privateZoneName}/{recordType}/{relativeRecordSetName}`,
      named("record-set"),
    )
    .add(
      "GET",
      `${RG}/providers/Microsoft.Network/privateDnsZones/{privateZoneName}/virtualNetworkLinks/{virtualNetworkLinkName}`,
      named("link"),
    )
    .add("PUT", `${RG}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}`, named("vnet-put"))
    .add("GET", `${RG}/providers/Microsoft.Network/virtualNetworks/{vnetName}`, named("vnet-get"));

const ZONE = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/privateDnsZones/z.net";

test("a literal segment wins over a parameter, whatever its casing; each template keeps its parameter names", () => {
  assert.deepEqual(label(router().match("get", `${ZONE}/VIRTUALNETWORKLINKS/l1`)), [
    "link",
    { subscriptionId: "s1", resourceGroupName: "rg1", privateZoneName: "z.net", virtualNetworkLinkName: "l1" },
  ]);
  assert.deepEqual(label(router().match("GET", `${ZONE}/A/www`)), [
    "record-set",
    {
      subscriptionId: "s1",
      resourceGroupName: "rg1",
      privateZoneName: "z.net",
      recordType: "A",
      relativeRecordSetName: "www",
    },
  ]);
  const vnet = "/subscriptions/s1/resourcegroups/rg1/providers/microsoft.network/virtualnetworks/v1";
  assert.deepEqual(label(router().match("GET", vnet))?.[1], {
    subscriptionId: "s1",
    resourceGroupName: "rg1",
    vnetName: "v1",
  });
  assert.deepEqual(label(router().match("PUT", `${vnet}//`))?.[1], {
    subscriptionId: "s1",
    resourceGroupName: "rg1",
    virtualNetworkName: "v1",
  });
});

test("parameters are percent-decoded; a malformed escape is ARM's 400 InvalidRequestFormat, matched or not", () => {
  const vnet = "/subscriptions/s1/resourceGroups/rg%C3%A9/providers/Microsoft.Network/virtualNetworks/v1";
  assert.equal((label(router().match("GET", vnet)) as [string, Record<string, string>])[1].resourceGroupName, "rgé");
  for (const method of ["GET", "DELETE"]) {
    assert.throws(
      () => router().match(method, vnet.replace("v1", "v%E0%A4%A")),
      (e: unknown) => e instanceof AzureError && e.status === 400 && e.code === "InvalidRequestFormat",
    );
  }
});

test("a path served for other methods only is 'method' (405); an unknown path is undefined (404)", () => {
  const vnet = "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v1";
  assert.equal(router().match("DELETE", vnet), "method");
  assert.equal(router().match("GET", `${vnet}/nothing`), undefined);
  assert.equal(router().match("GET", "/subscriptions/s1/nothing"), undefined);
});
