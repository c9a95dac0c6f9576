// A new user's report on `hsmlink troubleshoot`: --vm against the running hsmlink, spurious data-complete warnings,
// fix commands az 2.45 refuses or that carry placeholders, and `--from` with `az resource list` output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { troubleshootSource, TroubleshootUsageError } from "../../../src/troubleshoot/run.js";
import { readFromArm, vmFromView, type ArmReader } from "../../../src/troubleshoot/sources.js";
import type { VmView } from "../../../src/vms/vms.js";
import { base, get, one, run, S, VNET1, ZONE_ID, type Res } from "./helpers.js";

const PE = "Microsoft.Network/privateEndpoints";
const HSM = "Microsoft.KeyVault/managedHSMs";
const A = "Microsoft.Network/privateDnsZones/A";
const LINK = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";
const HSM_ID = `${S}/providers/Microsoft.KeyVault/managedHSMs/hsm1`;

/** What `GET /_hsmlink/vms` lists for a VM in vnet1/default. */
function view(name: string, extra: Partial<VmView> = {}): VmView {
  return {
    name,
    id: `${S}/providers/Microsoft.Compute/virtualMachines/${name}`,
    resourceGroup: "rg",
    vnet: "vnet1",
    subnet: "default",
    nicId: `${S}/providers/Microsoft.Network/networkInterfaces/${name}-nic`,
    privateIpAddress: "10.0.1.5",
    publicIpAddress: "198.51.100.77",
    dnsForwarder: false,
    dns: { host: "127.0.0.1", port: 5353 },
    proxy: `http://${name}:hsmlink@127.0.0.1:1`,
    ...extra,
  };
}

/** BASE with the zone unlinked: the client resolves the public address and meets the firewall (defaultAction Deny). */
function unlinked(): Res[] {
  return base().filter((r) => r.type !== LINK);
}

test("--vm: a VM of the admin API becomes the client with its real private and public addresses", () => {
  const rs = unlinked();
  const vm = vmFromView(view("vm1"), rs);
  assert.deepEqual(vm, {
    name: "vm1",
    vnetId: VNET1,
    subnetId: `${VNET1}/subnets/default`,
    privateIpAddress: "10.0.1.5",
    publicIpAddress: "198.51.100.77",
  });
  const { findings } = troubleshootSource({ resources: rs, missing: [], vms: [vm] }, "hsmlink", {
    hsm: "hsm1",
    resourceGroup: "rg",
    vm: "vm1",
  });
  const f = get(findings, "public-path-firewall");
  assert.equal(f.status, "fail");
  assert.equal(f.evidence.values.sourceAddress, "198.51.100.77");
  assert.ok(
    !findings.some((x) => x.id === "data-complete"),
    JSON.stringify(findings.find((x) => x.id === "data-complete")),
  );
});

test("--vm: the VM subnet comes from its NIC when the NIC is in the data (VNet in another resource group)", () => {
  const other =
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub";
  const nic = {
    id: `${S}/providers/Microsoft.Network/networkInterfaces/vm2-nic`,
    type: "Microsoft.Network/networkInterfaces",
    properties: { ipConfigurations: [{ properties: { subnet: { id: `${other}/subnets/s1` } } }] },
  };
  const vm = vmFromView(view("vm2", { vnet: "hub", subnet: "s1" }), [nic]);
  assert.equal(vm.vnetId, other);
  assert.equal(vm.subnetId, `${other}/subnets/s1`);
});

test("--vm with --subscription or with a --from file without that VM: exit-2 error naming hsmlink VMs and --vnet", () => {
  for (const kind of ["subscription", "file"] as const) {
    assert.throws(
      () =>
        troubleshootSource({ resources: base(), missing: [] }, kind, { hsm: "hsm1", resourceGroup: "rg", vm: "vm1" }),
      (e: unknown) =>
        e instanceof TroubleshootUsageError &&
        /simulated VM of the running hsmlink/.test(e.message) &&
        /--vnet/.test(e.message),
    );
  }
});

test("the ARM sources no longer list Microsoft.Compute/virtualMachines (hsmlink answers 400): a healthy read has nothing missing", async () => {
  const rs = base();
  const asked: string[] = [];
  const reader: ArmReader = {
    async get(p) {
      asked.push(p);
      const path = p.split("?")[0].toLowerCase();
      if (path.endsWith("/resourcegroups")) return { status: 200, json: { value: [{ name: "rg" }] } };
      if (path.includes("/providers/microsoft.compute/"))
        return { status: 400, json: { error: { code: "NoRegisteredProviderFound" } } };
      const m = /\/providers\/(microsoft\.[a-z]+\/[a-z]+)$/i.exec(path);
      if (m && path.includes("/resourcegroups/rg/providers/"))
        return { status: 200, json: { value: rs.filter((r) => r.type.toLowerCase() === m[1]) } };
      if (path.endsWith("/privatednszonegroups") || path.endsWith("/virtualnetworklinks"))
        return {
          status: 200,
          json: { value: path.endsWith("/virtualnetworklinks") ? rs.filter((r) => r.type === LINK) : [] },
        };
      if (path.endsWith("/all"))
        return { status: 200, json: { value: rs.filter((r) => /privateDnsZones\/(A|SOA)$/.test(r.type)) } };
      return { status: 404, json: { error: { code: "NotFound" } } };
    },
  };
  const source = await readFromArm(reader, "00000000-0000-0000-0000-000000000001");
  assert.deepEqual(source.missing, []);
  assert.ok(!asked.some((p) => /microsoft\.compute/i.test(p)), asked.join("\n"));
  const { findings } = troubleshootSource(source, "subscription", { hsm: "hsm1", resourceGroup: "rg", vnet: "vnet1" });
  assert.deepEqual(
    findings.filter((f) => f.status !== "pass").map((f) => `${f.id}:${f.status}:${f.message}`),
    [],
  );
});

test("--from with plain `az resource list` output (properties: null): exit-2 error saying so and naming the export commands", () => {
  const listed = base().map((r) => ({
    id: r.id,
    name: r.name,
    type: r.type,
    location: r.location ?? null,
    properties: null,
    resourceGroup: "rg",
  }));
  assert.throws(
    () =>
      troubleshootSource({ resources: listed, missing: [] }, "file", {
        hsm: "hsm1",
        resourceGroup: "rg",
        vnet: "vnet1",
      }),
    (e: unknown) =>
      e instanceof TroubleshootUsageError &&
      /properties: null/.test(e.message) &&
      /az resource list/.test(e.message) &&
      [
        "az network vnet list",
        "az network private-endpoint list",
        "az network nic list",
        "az network private-dns zone list",
        "link vnet list",
        "record-set list",
        "az keyvault list --resource-type hsm",
        "az resource show --ids",
      ].every((c) => e.message.includes(c)),
  );
});

test("a-record-ip-matches: the fix is a --set az accepts (JSON with double quotes), with the address filled in", () => {
  const rs = base();
  one(rs, A).properties.aRecords = [{ ipv4Address: "10.0.1.99" }];
  const f = get(run(rs), "a-record-ip-matches");
  assert.equal(f.status, "fail");
  assert.equal(
    f.fix,
    `az network private-dns record-set a update -g rg -z privatelink.managedhsm.azure.net -n hsm1 --set 'aRecords=[{"ipv4Address":"10.0.1.4"}]'`,
  );
});

test("a-record-ip-matches: the record names the only PE, whose connection is Rejected → skip (connection-approved fails)", () => {
  const rs = base();
  one(rs, PE).properties.privateLinkServiceConnections[0].properties.privateLinkServiceConnectionState.status =
    "Rejected";
  const findings = run(rs);
  const f = get(findings, "a-record-ip-matches");
  assert.equal(f.status, "skip", f.message);
  assert.match(f.message, /connection-approved/);
  assert.equal(get(findings, "connection-approved").status, "fail");
});

test("connection-approved (Rejected): the re-create command names the real VNet and subnet", () => {
  const rs = base();
  one(rs, PE).properties.privateLinkServiceConnections[0].properties.privateLinkServiceConnectionState.status =
    "Rejected";
  const f = get(run(rs), "connection-approved");
  assert.doesNotMatch(f.fix!, /</);
  assert.match(
    f.fix!,
    /^az network private-endpoint delete -g rg -n pe1 && az network private-endpoint create -g rg -n pe1 --vnet-name vnet1 --subnet default --private-connection-resource-id \S+managedHSMs\/hsm1 --group-id managedhsm --connection-name \S+$/,
  );
});

test("connection-approved (no private endpoint): the create command has every name filled in", () => {
  const rs = base().filter((r) => r.type !== PE);
  const f = get(run(rs), "connection-approved");
  assert.equal(
    f.fix,
    `az network private-endpoint create -g rg -n hsm1-pe --vnet-name vnet1 --subnet default --private-connection-resource-id ${HSM_ID} --group-id managedhsm --connection-name hsm1-conn`,
  );
});

test("public-path-firewall: no --public-network-access on update-hsm and no network-rule; publicNetworkAccess via az resource update", () => {
  const rs = unlinked();
  const hsm = one(rs, HSM);
  hsm.properties.publicNetworkAccess = "Disabled";
  const f = get(run(rs), "public-path-firewall");
  assert.equal(f.status, "fail");
  assert.doesNotMatch(f.fix!, /--public-network-access|network-rule/);
  assert.match(
    f.fix!,
    new RegExp(
      `az resource update --ids ${HSM_ID} --set properties\\.publicNetworkAccess=Enabled && az keyvault update-hsm --hsm-name hsm1 -g rg --default-action Allow$`,
    ),
  );
  // --vnet: the address is a stand-in and the message says so.
  assert.match(get(run(unlinked()), "public-path-firewall").message, /stand-in address for a client in vnet1/);
});

test("public-network-access: the alternative to turn public access off is az resource update, not --public-network-access", () => {
  const rs = base();
  one(rs, HSM).properties.networkAcls.defaultAction = "Allow";
  const f = get(run(rs), "public-network-access");
  assert.equal(f.status, "warn");
  assert.doesNotMatch(f.fix!, /--public-network-access/);
  assert.match(f.fix!, /az resource update --ids \S+ --set properties\.publicNetworkAccess=Disabled/);
});

test("zone-name-near-miss: links are deleted before the zone; the right zone, already there and linked, is not created again", () => {
  const rs = base();
  const wrongZone = `${S}/providers/Microsoft.Network/privateDnsZones/privatelink.managedhsm.azure.com`;
  rs.push({
    id: wrongZone,
    name: "privatelink.managedhsm.azure.com",
    type: "Microsoft.Network/privateDnsZones",
    location: "global",
    properties: {},
  });
  rs.push({
    id: `${wrongZone}/SOA/@`,
    name: "@",
    type: "Microsoft.Network/privateDnsZones/SOA",
    properties: { ttl: 3600 },
  });
  rs.push({
    id: `${wrongZone}/virtualNetworkLinks/wrong-link`,
    name: "wrong-link",
    type: LINK,
    location: "global",
    properties: { virtualNetwork: { id: VNET1 }, registrationEnabled: false },
  });
  const f = get(run(rs), "zone-name-near-miss");
  assert.equal(f.status, "fail");
  assert.equal(
    f.fix,
    "az network private-dns link vnet delete -g rg -z privatelink.managedhsm.azure.com -n wrong-link --yes && az network private-dns zone delete -g rg -n privatelink.managedhsm.azure.com --yes",
  );
});

test("zone-name-near-miss: only the wrong zone exists → delete its link and it, create, link and fill the right one", () => {
  const rs = base();
  const wrongZone = `${S}/providers/Microsoft.Network/privateDnsZones/privatelink.managedhsm.azure.com`;
  for (const r of rs) {
    if (r.id.startsWith(ZONE_ID)) {
      r.id = r.id.replace(ZONE_ID, wrongZone);
      if (r.type === "Microsoft.Network/privateDnsZones") r.name = "privatelink.managedhsm.azure.com";
    }
  }
  const f = get(run(rs), "zone-name-near-miss");
  assert.equal(
    f.fix,
    [
      "az network private-dns link vnet delete -g rg -z privatelink.managedhsm.azure.com -n link1 --yes",
      "az network private-dns zone delete -g rg -n privatelink.managedhsm.azure.com --yes",
      "az network private-dns zone create -g rg -n privatelink.managedhsm.azure.net",
      `az network private-dns link vnet create -g rg -z privatelink.managedhsm.azure.net -n vnet1-link -v ${VNET1} -e false`,
      "az network private-dns record-set a add-record -g rg -z privatelink.managedhsm.azure.net -n hsm1 -a 10.0.1.4",
    ].join(" && "),
  );
});

test("no fix carries a <placeholder> the troubleshooter knows: custom-dns-bypass names the resource groups", () => {
  const rs = base();
  one(rs, "Microsoft.Network/virtualNetworks").properties.dhcpOptions = { dnsServers: ["10.0.1.250"] };
  const f = get(run(rs), "custom-dns-bypass");
  assert.equal(f.status, "fail");
  assert.doesNotMatch(f.fix!, /<[a-z-]+>/);
  assert.match(f.fix!, /az network vnet update -g rg -n vnet1 --dns-servers 168\.63\.129\.16$/);
});
