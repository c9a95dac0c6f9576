/**
 * The portal's read side: every answer comes from the functions `hsmlink explain`, `hsmlink troubleshoot` and the
 * gateway use (the one decision pipeline over one network snapshot). Nothing here decides allow or deny itself.
 */
import type { Store } from "../store/db.js";
import { snapshotFromStore } from "../network/snapshot.js";
import { evaluateConnect, vantageText } from "../network/decision.js";
import { MANAGED_HSM_PUBLIC_ZONE } from "../kernel/azure-names.js";
import { connectionsOfPrivateEndpoint, resourceName, sameResourceId, type Vantage } from "../network/topology.js";
import { explainRequest } from "../pipeline/explain.js";
import type { VmService } from "../vms/vms.js";
import { troubleshoot, TroubleshootUsageError } from "../troubleshoot/run.js";
import { AzureError } from "../kernel/errors.js";
import { scopeOf, topologyGraph } from "./graph.js";
import type { ConnectionView, FromHereHsm, FromHereView, TopologyView, VantageOption } from "./model.js";

export interface PortalDomain {
  readonly store: Store;
  readonly vms: VmService;
  readonly subscriptionId: string;
  readonly internetClientAddress: string;
}

/** The topology picture of one subscription (and optionally one resource group). */
export function topology(
  d: PortalDomain,
  subscription: string | undefined,
  resourceGroup: string | undefined,
): TopologyView {
  const vmIds = new Map(d.vms.list().map((v) => [v.name.toLowerCase(), v.id] as const));
  return topologyGraph(
    snapshotFromStore(d.store),
    { subscriptionId: subscription || d.subscriptionId, ...(resourceGroup ? { resourceGroup } : {}) },
    d.store.version() ?? 0,
    vmIds,
  );
}

/** The internet, then every simulated VM. */
export function vantages(d: PortalDomain): VantageOption[] {
  return [
    { name: "internet", label: "the public internet" },
    ...d.vms
      .list()
      .map((v) => ({ name: v.name, label: `VM ${v.name} (${v.privateIpAddress} in ${v.subnet} of ${v.vnet})` })),
  ];
}

function vantageNamed(d: PortalDomain, name: string): Vantage {
  if (name === "" || name.toLowerCase() === "internet") return { kind: "internet" };
  const v = d.vms.vantageOf(name);
  if (!v) throw new AzureError(404, "VmNotFound", `VM '${name}' does not exist; 'hsmlink vm list' shows the VMs`);
  return v;
}

/**
 * "From here": for each managed HSM of the subscription, what a client at `vantageName` gets for
 * `GET https://{hsm}.managedhsm.azure.net/keys`: the DNS chain and the zone/link that answered
 * ({@link evaluateConnect}), the route, the verdict and trace of {@link explainRequest} (what `hsmlink explain`
 * prints), and for a VM the findings of `hsmlink troubleshoot --vm`.
 * @throws AzureError 404 for an unknown VM
 */
export function fromHere(d: PortalDomain, vantageName: string): FromHereView {
  const vantage = vantageNamed(d, vantageName);
  const snapshot = snapshotFromStore(d.store);
  const hsms: FromHereHsm[] = [];
  for (const hsm of snapshot.managedHsms) {
    if (scopeOf(hsm.id).subscription.toLowerCase() !== d.subscriptionId.toLowerCase()) continue;
    const host = `${hsm.name.toLowerCase()}.${MANAGED_HSM_PUBLIC_ZONE}`;
    // Not pushed to the trace log: the live request log shows requests that happened.
    const explained = explainRequest(
      { snapshot: () => snapshot, internetClientAddress: d.internetClientAddress },
      vantage,
      "GET",
      `https://${host}/keys`,
    );
    const trace = { seq: 0, requestId: "explain", time: new Date().toISOString(), explained: true, ...explained };
    const connect = evaluateConnect(snapshot, vantage, host, { internetClientAddress: d.internetClientAddress });
    const zoneStep = connect.dns.trace.find(
      (s) => s.refs?.zoneId && /^private-zone-(answer|cname|nodata|nxdomain|auto-registration)$/.test(s.rule),
    );
    const route = connect.route;
    const last = trace.steps[trace.steps.length - 1];
    const rg = scopeOf(hsm.id).resourceGroup;
    let findings: FromHereHsm["findings"];
    let findingsNote: string | undefined;
    if (vantage.kind === "vm") {
      try {
        findings = troubleshoot(snapshot, [], { hsm: hsm.name, resourceGroup: rg, vm: vantage.vm.name }).findings.map(
          (f) => ({
            id: f.id,
            status: f.status,
            ...(f.code ? { code: f.code } : {}),
            message: f.message,
            ...(f.fix ? { fix: f.fix } : {}),
          }),
        );
      } catch (e) {
        if (!(e instanceof TroubleshootUsageError)) throw e;
        findingsNote = e.message;
      }
    } else {
      findingsNote = "hsmlink troubleshoot checks a client inside a virtual network: choose a VM to see its findings";
    }
    hsms.push({
      hsmId: hsm.id,
      name: hsm.name,
      resourceGroup: rg,
      host,
      dns: {
        rcode: connect.dns.rcode,
        answers: connect.dns.answers.map((a) => ({ name: a.name, type: a.type, ttl: a.ttl, data: a.data })),
      },
      ...(zoneStep?.refs?.zoneId
        ? {
            answeredBy: {
              zone: resourceName(zoneStep.refs.zoneId),
              ...(zoneStep.refs.linkId ? { link: resourceName(zoneStep.refs.linkId) } : {}),
            },
          }
        : {}),
      ...(connect.address ? { address: connect.address } : {}),
      route: route?.path ?? "none",
      routeDetail: route
        ? (route.trace[route.trace.length - 1]?.detail ?? route.path)
        : (connect.refusal?.reason ?? "no route"),
      verdict: trace.verdict === "network-allows" ? "allowed" : "refused",
      verdictDetail: trace.outcome
        ? `${trace.outcome.status}${trace.outcome.code ? ` ${trace.outcome.code}` : ""}${trace.outcome.innerCode ? `/${trace.outcome.innerCode}` : ""}: ${(trace.outcome.message ?? "").split("\r\n")[0]}`
        : (last?.detail ?? ""),
      trace,
      ...(findings ? { findings } : {}),
      ...(findingsNote ? { findingsNote } : {}),
    });
  }
  return { vantage: vantage.kind === "vm" ? vantage.vm.name : "internet", vantageText: vantageText(vantage), hsms };
}

/**
 * Connections only a private endpoint still lists (the HSM side deleted them: the PE shows `Disconnected`), for
 * the private link center next to the HSMs' own connections read through ARM.
 */
export function privateEndpointOnlyConnections(d: PortalDomain, listed: readonly ConnectionView[]): ConnectionView[] {
  const snapshot = snapshotFromStore(d.store);
  const out: ConnectionView[] = [];
  for (const pe of snapshot.privateEndpoints) {
    if (scopeOf(pe.id).subscription.toLowerCase() !== d.subscriptionId.toLowerCase()) continue;
    for (const c of connectionsOfPrivateEndpoint(pe)) {
      const hsm = snapshot.managedHsms.find((h) => sameResourceId(h.id, c.privateLinkServiceId));
      if (!hsm) continue;
      if (
        listed.some(
          (l) =>
            l.privateEndpointId !== undefined &&
            sameResourceId(l.privateEndpointId, pe.id) &&
            sameResourceId(l.hsmId, hsm.id),
        )
      )
        continue;
      out.push({
        id: `${pe.id}#${c.name}`,
        name: c.name,
        hsmId: hsm.id,
        hsmName: hsm.name,
        resourceGroup: scopeOf(hsm.id).resourceGroup,
        privateEndpointId: pe.id,
        privateEndpointName: pe.name,
        status: c.state.status,
        ...(c.state.description ? { description: c.state.description } : {}),
        actionable: false,
      });
    }
  }
  return out;
}

/** The managed HSMs of the subscription (ids), for the private link center's ARM reads. */
export function managedHsmIds(d: PortalDomain): string[] {
  return snapshotFromStore(d.store)
    .managedHsms.filter((h) => scopeOf(h.id).subscription.toLowerCase() === d.subscriptionId.toLowerCase())
    .map((h) => h.id);
}
