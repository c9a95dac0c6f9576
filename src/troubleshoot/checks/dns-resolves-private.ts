/**
 * End to end (the how-to's symptom, "you are still getting the public IP address"): from the client vantage,
 * `{hsm}.managedhsm.azure.net` resolves to an approved private endpoint's NIC address, the route goes through that
 * endpoint, and the network rules allow it. Asks src/network/decision.ts; re-implements nothing.
 */
import { chainText, clientPath, hsmHost } from "../path.js";
import { finding, type Check } from "../types.js";

export const check: Check = {
  id: "dns-resolves-private",
  run(ctx) {
    const r = clientPath(ctx);
    const route = r.connect.route;
    const values = {
      vantage: ctx.syntheticVm ? `a client in ${ctx.vnet.name}` : `VM ${ctx.vm.name}`,
      host: hsmHost(ctx),
      dns: chainText(r),
      address: r.connect.address ?? null,
      path: route?.path ?? "none",
      ...(route?.path === "private" ? { privateEndpoint: route.privateEndpointId } : {}),
      ...(r.rules ? { allowed: r.rules.allowed, ...(r.rules.allowed ? {} : { innerCode: r.rules.innerCode }) } : {}),
      trace: r.steps.map((s) => `${s.step}/${s.rule}`),
    };
    const resources = [ctx.vnet.id, ...(route?.path === "private" ? [route.privateEndpointId, route.nicId] : [])];
    if (route?.path === "private" && r.rules?.allowed) {
      return finding(
        this.id,
        "pass",
        `${hsmHost(ctx)} → ${r.connect.address} via private endpoint ${route.privateEndpointId.split("/").pop()}`,
        { resources, values },
      );
    }
    const last = r.steps[r.steps.length - 1];
    if (route?.path === "private") {
      // A non-approved connection drops the traffic (the network rules' `drop`): say "dropped: connection …".
      const why =
        r.connect.refusal?.kind === "dropped"
          ? r.connect.refusal.reason
          : (last?.detail ?? "the network rules refuse it");
      return finding(
        this.id,
        "fail",
        `${hsmHost(ctx)} → ${r.connect.address} via private endpoint ${route.privateEndpointId.split("/").pop()}, but ${why}`,
        { code: "PRIVATE_PATH_REFUSED", resources, values },
      );
    }
    if (route?.path === "public") {
      // No Approved connection = no privatelink alias in public DNS (private-link-diagnostics.md §5).
      const noAlias = r.steps.some((s) => s.rule === "public-no-approved-connection");
      const why = noAlias
        ? `: ${ctx.hsmName} has no Approved private endpoint connection, so Azure publishes no privatelink alias for it`
        : ": traffic leaves the private link";
      return finding(
        this.id,
        "fail",
        `${hsmHost(ctx)} resolves to the public address ${r.connect.address} from ${values.vantage} (${chainText(r)})${why}`,
        { code: "RESOLVES_PUBLIC", resources, values },
      );
    }
    return finding(
      this.id,
      "fail",
      `${values.vantage} cannot reach ${hsmHost(ctx)}: ${r.connect.refusal?.reason ?? last?.detail ?? "no path"}`,
      { code: "NO_PATH", resources, values },
    );
  },
};
