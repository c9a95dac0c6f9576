// Network isolation end to end on a seeded how-to topology: VMs as vantage points, per-VM DNS (dig/nslookup),
// gateway routing (407/502), the firewall and private endpoint states, the decision trace (log + explain).
import { test, before, after } from "node:test";
import { needs } from "../../support/clients.js";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { startTestHsmlink, type TestHsmlink } from "../../support/hsmlink.js";
import { adminRequest, AdminError } from "../../../src/client/admin-client.js";
import { publicAddressOfHsm } from "../../../src/network/index.js";
import {
  createVm,
  ids,
  putHsm,
  putPrivateEndpoint,
  putARecord,
  seedHowTo,
  viaGateway,
  type VmView,
} from "./topology.js";

const run = promisify(execFile);
let h: TestHsmlink;
let vm1: VmView;
let vm2: VmView;

before(async () => {
  h = await startTestHsmlink();
  seedHowTo(h);
  vm1 = await createVm(h, "vm1", "vnet1");
  vm2 = await createVm(h, "vm2", "vnet2");
});
after(async () => h?.dispose());

const HOST = "hsm1.managedhsm.azure.net";

test("vm create: next free address after the PE NIC, public SNAT address, own DNS port, NIC stored", async () => {
  assert.equal(vm1.privateIpAddress, "10.0.1.5");
  assert.equal(vm2.privateIpAddress, "10.1.1.4");
  assert.match(vm1.publicIpAddress ?? "", /^198\.51\.100\.(6[5-9]|[7-9]\d|1[01]\d|12[0-6])$/);
  assert.notEqual(vm1.publicIpAddress, vm2.publicIpAddress);
  assert.ok(vm1.dns.port > 0 && vm1.dns.port !== h.endpoints.dns.port);
  assert.ok(vm1.proxy.startsWith(`http://vm1:${h.secret}@`), vm1.proxy);
  const nic = h.store.resources.get<{
    properties: { ipConfigurations: { properties: { privateIPAddress: string } }[] };
  }>(ids(h).nic("vm1-nic"));
  assert.equal(nic?.body.properties.ipConfigurations[0].properties.privateIPAddress, "10.0.1.5");
  const vm3 = await createVm(h, "vm3", "vnet1");
  assert.equal(vm3.privateIpAddress, "10.0.1.6");
  await adminRequest(h.endpoints, "DELETE", "/_hsmlink/vms/vm3");
  assert.equal(h.store.resources.get(ids(h).nic("vm3-nic")), undefined);
  const shown = await adminRequest<VmView>(h.endpoints, "GET", "/_hsmlink/vms/vm1");
  assert.deepEqual(shown.dns, vm1.dns);
});

test("vm create: unknown resource group, VNet, subnet and duplicate names are clear errors", async () => {
  await assert.rejects(
    createVm(h, "x1", "vnet1", "sn1", "nope"),
    (e: AdminError) => e.status === 404 && /Resource group 'nope'/.test(e.message),
  );
  await assert.rejects(
    createVm(h, "x1", "nope"),
    (e: AdminError) => e.status === 404 && /Virtual network 'nope'/.test(e.message),
  );
  await assert.rejects(
    createVm(h, "x1", "vnet1", "nope"),
    (e: AdminError) => e.status === 404 && /Subnet 'nope'.*subnets: sn1/.test(e.message),
  );
  await assert.rejects(createVm(h, "VM1", "vnet1"), (e: AdminError) => e.status === 409);
});

test(
  "dig against vm1's DNS: CNAME chain to the privatelink name and the PE address, TTLs from the records",
  needs("dig"),
  async () => {
    const { stdout } = await run("dig", ["@" + vm1.dns.host, "-p", String(vm1.dns.port), HOST, "+noall", "+answer"]);
    assert.match(
      stdout,
      /^hsm1\.managedhsm\.azure\.net\.\s+\d+\s+IN\s+CNAME\s+hsm1\.privatelink\.managedhsm\.azure\.net\.$/m,
    );
    assert.match(stdout, /^hsm1\.privatelink\.managedhsm\.azure\.net\.\s+10\s+IN\s+A\s+10\.0\.1\.4$/m);
    const tcp = await run("dig", ["+tcp", "@" + vm1.dns.host, "-p", String(vm1.dns.port), HOST, "+short"]);
    assert.equal(tcp.stdout.trim().split("\n").pop(), "10.0.1.4");
  },
);

test(
  "nslookup against vm1's DNS shows 'canonical name =' and the PE address; internet and vm2 get the public address",
  needs("nslookup", "dig"),
  async () => {
    const { stdout } = await run("nslookup", [`-port=${vm1.dns.port}`, HOST, vm1.dns.host]);
    assert.match(stdout, /hsm1\.managedhsm\.azure\.net\s+canonical name = hsm1\.privatelink\.managedhsm\.azure\.net\./);
    assert.match(stdout, /Address: 10\.0\.1\.4/);
    const pub = publicAddressOfHsm("hsm1");
    const internet = await run("dig", ["@" + h.endpoints.dns.host, "-p", String(h.endpoints.dns.port), HOST, "+short"]);
    assert.equal(internet.stdout.trim().split("\n").pop(), pub);
    const fromVm2 = await run("dig", ["@" + vm2.dns.host, "-p", String(vm2.dns.port), HOST, "+short"]);
    assert.equal(fromVm2.stdout.trim().split("\n").pop(), pub);
    const nx = await run("dig", ["@" + h.endpoints.dns.host, "-p", String(h.endpoints.dns.port), "nope.example.com"]);
    assert.match(nx.stdout, /status: NXDOMAIN/);
  },
);

test("garbage over UDP and TCP does not crash the DNS server", needs("dig"), async () => {
  const port = vm1.dns.port;
  const udp = createSocket("udp4");
  for (const junk of [
    Buffer.from([1, 2, 3]),
    Buffer.alloc(0),
    Buffer.from("definitely not dns, but long enough to have a header"),
  ]) {
    await new Promise<void>((r) => udp.send(junk, port, vm1.dns.host, () => r()));
  }
  udp.close();
  await new Promise<void>((resolve) => {
    const s = connect(port, vm1.dns.host, () => s.end(Buffer.from([0, 5, 1, 2, 3, 4, 5])));
    s.on("close", () => resolve());
    s.on("error", () => resolve());
  });
  const { stdout } = await run("dig", ["@" + vm1.dns.host, "-p", String(port), HOST, "+short"]);
  assert.equal(stdout.trim().split("\n").pop(), "10.0.1.4");
});

test("gateway: unknown VM → 407 with Proxy-Authenticate; unknown HSM → 502 could not resolve", async () => {
  const r = await viaGateway(h, HOST, { vm: "ghost" });
  assert.equal(r.connectStatus, 407);
  assert.match(r.connectHead, /Proxy-Authenticate: Basic realm="hsmlink"/);
  assert.match(r.connectHead, /proxy user 'ghost' names no VM/);
  const nx = await viaGateway(h, "nope.managedhsm.azure.net");
  assert.equal(nx.connectStatus, 502);
  assert.match(nx.connectHead, /could not resolve nope\.managedhsm\.azure\.net/);
  const arm = await viaGateway(h, "management.azure.com", { vm: "vm2", path: "/subscriptions?api-version=2022-01-01" });
  assert.equal(arm.connectStatus, 200);
});

test("firewall: internet and unlinked vm2 get 403 ForbiddenByFirewall with their source address; vm1 passes via the PE", async () => {
  const internet = await viaGateway(h, HOST);
  assert.equal(internet.status, 403);
  assert.match(internet.body ?? "", /"innererror":\{"code":"ForbiddenByFirewall"\}/);
  assert.match(internet.body ?? "", /Client address: 198\.51\.100\.7/);
  assert.match(
    internet.headers ?? "",
    /x-ms-keyvault-network-info: conn_type=Ipv4;addr=198\.51\.100\.7;act_addr_fam=Ipv4;/i,
  );
  const fromVm2 = await viaGateway(h, HOST, { vm: "vm2" });
  assert.equal(fromVm2.status, 403);
  assert.ok((fromVm2.body ?? "").includes(`Client address: ${vm2.publicIpAddress}`));
  const fromVm1 = await viaGateway(h, HOST, { vm: "vm1" });
  // Private path: conn_type=PrivateLink naming the endpoint (vault-derived; docs/fidelity.md).
  assert.match(
    fromVm1.headers ?? "",
    new RegExp(
      `x-ms-keyvault-network-info: conn_type=PrivateLink;private_endpoint=${ids(h)
        .pe("pe1")
        .replace(/[./]/g, (c) => "\\" + c)};addr=10\\.0\\.1\\.5;act_addr_fam=Ipv4;`,
      "i",
    ),
  );
  assert.equal(fromVm1.connectStatus, 200);
  assert.notEqual(fromVm1.status, 403);
});

test("decision trace: log shows the private route of vm1's request and the firewall step of vm2's", async () => {
  await viaGateway(h, HOST, { vm: "vm1" });
  await viaGateway(h, HOST, { vm: "vm2" });
  const { value } = await adminRequest<{
    value: {
      vantage: string;
      steps: { step: string; rule: string }[];
      outcome?: { status: number; innerCode?: string };
    }[];
  }>(h.endpoints, "GET", "/_hsmlink/traces?limit=2");
  const [t1, t2] = value;
  assert.equal(t1.vantage, "vm1");
  assert.ok(t1.steps.some((s) => s.step === "route" && s.rule === "private-endpoint-nic"));
  assert.ok(t1.steps.some((s) => s.rule === "private-endpoint-approved"));
  assert.equal(t2.vantage, "vm2");
  assert.ok(t2.steps.some((s) => s.step === "route" && s.rule === "public-endpoint"));
  assert.equal(t2.outcome?.status, 403);
  assert.equal(t2.outcome?.innerCode, "ForbiddenByFirewall");
});

test("explain performs nothing but shows the same decision", async () => {
  const before = (await adminRequest<{ value: unknown[] }>(h.endpoints, "GET", "/_hsmlink/traces?limit=500")).value
    .length;
  const t = await adminRequest<{
    explained: boolean;
    outcome: { status: number; innerCode?: string };
    steps: { step: string; rule: string }[];
  }>(h.endpoints, "POST", "/_hsmlink/explain", { vm: "vm2", method: "GET", url: `https://${HOST}/keys` });
  assert.equal(t.explained, true);
  assert.equal(t.outcome.status, 403);
  assert.equal(t.outcome.innerCode, "ForbiddenByFirewall");
  assert.ok(t.steps.some((s) => s.step === "authentication" && s.rule === "not-evaluated"));
  const ok = await adminRequest<{ outcome?: { status: number }; verdict?: string; steps: { rule: string }[] }>(
    h.endpoints,
    "POST",
    "/_hsmlink/explain",
    { vm: "vm1", method: "GET", url: `https://${HOST}/keys` },
  );
  // Authentication and RBAC are not evaluated: explain claims no status, only that the network allows it.
  assert.equal(ok.outcome, undefined);
  assert.equal(ok.verdict, "network-allows");
  assert.ok(ok.steps.some((s) => s.rule === "private-endpoint-approved"));
  const after = (await adminRequest<{ value: unknown[] }>(h.endpoints, "GET", "/_hsmlink/traces?limit=500")).value
    .length;
  assert.equal(after, before + 2);
});

test("a Pending manual private endpoint leaves the name public: the VM gets the public address and meets the firewall; approve moves it private", async () => {
  // private-link-diagnostics.md §5: no Approved connection → no privatelink alias, even inside the linked VNet.
  putHsm(h, "hsm2", { defaultAction: "Allow", pna: "Disabled", connections: [{ pe: "pe2", status: "Pending" }] });
  putPrivateEndpoint(h, "pe2", "hsm2", "10.0.1.20", { manual: true, status: "Pending" });
  putARecord(h, "hsm2", "10.0.1.20");
  const dig = await run("dig", [
    "@" + vm1.dns.host,
    "-p",
    String(vm1.dns.port),
    "hsm2.managedhsm.azure.net",
    "+noall",
    "+answer",
  ]);
  assert.doesNotMatch(dig.stdout, /privatelink/);
  assert.match(
    dig.stdout,
    new RegExp(
      `^hsm2\\.managedhsm\\.azure\\.net\\.\\s+\\d+\\s+IN\\s+A\\s+${publicAddressOfHsm("hsm2").replace(/\./g, "\\.")}$`,
      "m",
    ),
  );
  const pending = await viaGateway(h, "hsm2.managedhsm.azure.net", { vm: "vm1" });
  assert.equal(pending.connectStatus, 200);
  assert.equal(pending.status, 403);
  assert.match(pending.body ?? "", /ForbiddenByConnection/);
  assert.match(pending.body ?? "", /Public network access is disabled/);
  putHsm(h, "hsm2", { defaultAction: "Allow", pna: "Disabled", connections: [{ pe: "pe2", status: "Approved" }] });
  putPrivateEndpoint(h, "pe2", "hsm2", "10.0.1.20", { manual: true, status: "Approved" });
  const approvedDig = await run("dig", [
    "@" + vm1.dns.host,
    "-p",
    String(vm1.dns.port),
    "hsm2.managedhsm.azure.net",
    "+short",
  ]);
  assert.equal(approvedDig.stdout.trim().split("\n").pop(), "10.0.1.20");
  const approved = await viaGateway(h, "hsm2.managedhsm.azure.net", { vm: "vm1" });
  assert.notEqual(approved.status, 403);
  const outside = await viaGateway(h, "hsm2.managedhsm.azure.net");
  assert.equal(outside.status, 403);
  assert.match(outside.body ?? "", /Public network access is disabled/);
});

test("a Rejected private endpoint behind a second, approved one: the CONNECT is dropped (504 'dropped: connection Rejected'), explain and the log say so", async () => {
  putHsm(h, "hsm3", {
    defaultAction: "Allow",
    connections: [
      { pe: "pe3a", status: "Approved" },
      { pe: "pe3r", status: "Rejected" },
    ],
  });
  putPrivateEndpoint(h, "pe3a", "hsm3", "10.0.1.30");
  putPrivateEndpoint(h, "pe3r", "hsm3", "10.0.1.31", { manual: true, status: "Rejected" });
  putARecord(h, "hsm3", "10.0.1.31");
  const r = await viaGateway(h, "hsm3.managedhsm.azure.net", { vm: "vm1" });
  assert.equal(r.connectStatus, 504);
  assert.match(
    r.connectHead,
    /^HTTP\/1\.1 504 hsmlink: dropped: connection Rejected \(private endpoint pe3r, connection /,
  );
  assert.equal(r.status, undefined, "no HTTP answer from the service");
  const why = await adminRequest<{
    verdict: string;
    outcome: { status: number; message?: string };
    steps: { step: string; rule: string }[];
  }>(h.endpoints, "POST", "/_hsmlink/explain", {
    vm: "vm1",
    method: "GET",
    url: "https://hsm3.managedhsm.azure.net/keys",
  });
  assert.equal(why.verdict, "refused");
  assert.equal(why.outcome.status, 504);
  assert.match(why.outcome.message ?? "", /^dropped: connection Rejected/);
  assert.ok(why.steps.some((t) => t.step === "network" && t.rule === "private-endpoint-not-approved"));
  const { value } = await adminRequest<{
    value: { steps: { step: string; rule: string; detail: string }[]; outcome?: { status: number } }[];
  }>(h.endpoints, "GET", "/_hsmlink/traces?limit=3");
  assert.ok(
    value.some((t) => t.outcome?.status === 504 && t.steps.some((x) => x.rule === "private-endpoint-not-approved")),
    JSON.stringify(value.map((t) => t.outcome)),
  );
});

test("an HSM recovered without its connections has no privatelink alias: the VM resolves the public address and meets the firewall", async () => {
  putHsm(h, "hsm1", {});
  const short = await run("dig", ["@" + vm1.dns.host, "-p", String(vm1.dns.port), HOST, "+short"]);
  assert.equal(short.stdout.trim(), publicAddressOfHsm("hsm1"));
  const r = await viaGateway(h, HOST, { vm: "vm1" });
  assert.equal(r.status, 403);
  assert.match(r.body ?? "", /ForbiddenByFirewall/);
  putHsm(h, "hsm1", { connections: [{ pe: "pe1", status: "Approved" }] });
});
