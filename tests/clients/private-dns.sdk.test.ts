// @azure/identity + @azure/arm-privatedns 3.2 from a Node process that only has the `hsmlink env` environment:
// zone, virtual network link and record set CRUD, conditional requests and delete rules (./sdk/arm-privatedns.ts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { runNodeClient } from "../support/node-client.js";
import { Dns } from "../http/private-dns/helpers.js";

const script = fileURLToPath(new URL("./sdk/arm-privatedns.ts", import.meta.url));
const ZONE = "privatelink.managedhsm.azure.net";
let h: TestHsmlink;
let d: Dns;

before(async () => {
  h = await startTestHsmlink();
  d = new Dns(h);
  await d.group("rg-sdk-dns");
});
after(async () => h?.dispose());

test("PrivateDnsManagementClient: zones, links and record sets round-trip as Azure answers them", async () => {
  const vnetId = d.seedVnet("rg-sdk-dns", "vnet-sdk");
  const r = await runNodeClient(script, h.clientEnv(), [h.endpoints.subscriptionId, "rg-sdk-dns", vnetId]);
  assert.equal(r.code, 0, r.stderr);
  const zoneId = d.zoneId("rg-sdk-dns", ZONE);
  // core-lro turns a Failed async status into a plain Error carrying the service's code and message.
  const { again, ...rest } = r.json;
  assert.match(
    again.message,
    /PreconditionFailed\. The Zone privatelink\.managedhsm\.azure\.net exists already and hence cannot be created again\./,
  );
  assert.deepEqual(rest, {
    zone: { id: zoneId, numberOfRecordSets: 1, tags: { via: "sdk" }, provisioningState: "Succeeded" },
    link: {
      id: `${zoneId}/virtualNetworkLinks/sdk-link`,
      state: "Completed",
      registrationEnabled: false,
      vnet: vnetId,
    },
    created: {
      id: `${zoneId}/A/myhsm`,
      type: "Microsoft.Network/privateDnsZones/A",
      fqdn: `myhsm.${ZONE}.`,
      aRecords: [{ ipv4Address: "10.0.0.4" }],
    },
    updated: { metadata: { owner: "sdk" }, ttl: 3600, etagChanged: true },
    stale: { code: "PreconditionFailed", statusCode: 412 },
    byType: ["myhsm"],
    across: ["SOA @", "A myhsm", "TXT note"],
    numberOfRecordSets: 3,
    zonesListed: true,
    zonesInRg: [ZONE],
    missing: { code: "NotFound", statusCode: 404 },
    refused: { code: "CannotDeleteResource", statusCode: 409 },
    zonesAfterDelete: [],
  });
});
