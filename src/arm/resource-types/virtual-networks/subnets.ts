/**
 * Microsoft.Network/virtualNetworks/subnets (control-plane.md §2 rows 9–10, §2.1, §4.2, §4.5): PUT (network LRO,
 * 201/200), GET, DELETE (202), list. The same validation serves subnets given inline in a VNet PUT.
 * `az network vnet subnet update` is GET + full PUT: the read-only back-references (`ipConfigurations`,
 * `privateEndpoints`) are kept from the stored subnet and the client's copies ignored.
 */
import type { ArmContext, ArmRouter } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import type { StoredResource } from "../../../store/resources.js";
import {
  CidrError,
  contains,
  ipInCidr,
  overlaps,
  parseCidr,
  validateSubnetPrefix,
  type Cidr,
} from "../../../network/cidr.js";
import {
  SUBNET_TYPE,
  networkDeleteResult,
  networkPutResult,
  okWithEtag,
  readArray,
  readEnum,
  readProperties,
  validateNetworkName,
} from "./common.js";
import { networkErrors } from "./errors.js";
import {
  allocatedAddresses,
  getSubnet,
  putVnetChild,
  requireSubnet,
  requireVnet,
  subnetIdOf,
  subnetPrefixes,
  subnetUser,
  subnetsOf,
  syncVirtualNetwork,
  type SubnetBody,
} from "./model.js";
import {
  PRIVATE_ENDPOINT_NETWORK_POLICIES,
  PRIVATE_LINK_SERVICE_NETWORK_POLICIES,
  PRIVATE_LINK_SERVICE_POLICIES_DEFAULT,
  defaultPrivateEndpointNetworkPolicies,
} from "./policies.js";

/**
 * Parses one address prefix of a subnet or address space the way the network RP reports problems.
 * @param resourceIdForMessage the resource named in `InvalidAddressPrefixFormat`
 * @throws AzureError InvalidAddressPrefixFormat (not a.b.c.d/n), InvalidCIDRNotation (host bits set)
 */
export function parsePrefix(text: unknown, resourceIdForMessage: string): Cidr {
  if (typeof text !== "string")
    throw networkErrors.InvalidAddressPrefixFormat(JSON.stringify(text), resourceIdForMessage);
  try {
    return parseCidr(text);
  } catch (e) {
    if (e instanceof CidrError) {
      if (e.azureCode === "InvalidCIDRNotation") throw networkErrors.InvalidCIDRNotation(e.message);
      throw networkErrors.InvalidAddressPrefixFormat(text, resourceIdForMessage);
    }
    throw e;
  }
}

/** What a subnet is validated against. */
export interface SubnetContext {
  vnetId: string;
  vnetName: string;
  /** The VNet's address space (after the request, for an inline subnet of a VNet PUT). */
  vnetPrefixes: Cidr[];
  /** The other subnets of the VNet as they will be after the request. */
  siblings: SubnetBody[];
  apiVersion: string;
}

/**
 * Validates a subnet definition (`{name?, properties: {addressPrefix | addressPrefixes, privateEndpointNetworkPolicies?,
 * privateLinkServiceNetworkPolicies?, delegations?, serviceEndpoints?}}`) and returns the body to store. Back-references
 * come from `existing` only. The policy default depends on the api-version (./policies.ts).
 * @throws AzureError InvalidResourceName, InvalidRequestFormat, NetcfgInvalidSubnet, InvalidAddressPrefixFormat,
 *   InvalidCIDRNotation, NetcfgSubnetRangeOutsideVnet, NetcfgSubnetRangesOverlap,
 *   InUseSubnetCannotBeUpdated
 */
export function buildSubnet(
  ctx: ArmContext,
  sc: SubnetContext,
  name: string,
  input: Record<string, unknown>,
  existing: StoredResource<SubnetBody> | undefined,
  path = "properties",
): SubnetBody {
  validateNetworkName(name);
  const id = existing?.id ?? subnetIdOf(sc.vnetId, name);
  const props = readProperties(input, path);
  const list = readArray(props, "addressPrefixes", `${path}.addressPrefixes`);
  const single = props.addressPrefix;
  let texts: string[];
  let asList: boolean;
  if (list.length > 0) {
    texts = list as string[];
    asList = true;
  } else if (single !== undefined && single !== null && single !== "") {
    texts = [single as string];
    asList = false;
  } else {
    throw networkErrors.NetcfgInvalidSubnet(name, sc.vnetName);
  }
  const cidrs: Cidr[] = [];
  for (const t of texts) {
    const c = parsePrefix(t, id);
    try {
      validateSubnetPrefix(c);
    } catch (e) {
      if (e instanceof CidrError) throw networkErrors.NetcfgInvalidSubnet(name, sc.vnetName);
      throw e;
    }
    if (!sc.vnetPrefixes.some((v) => contains(v, c)))
      throw networkErrors.NetcfgSubnetRangeOutsideVnet(name, sc.vnetName);
    if (cidrs.some((o) => overlaps(o, c))) throw networkErrors.NetcfgSubnetRangesOverlap(name, sc.vnetName);
    cidrs.push(c);
  }
  for (const sib of sc.siblings) {
    for (const p of subnetPrefixes(sib)) {
      if (cidrs.some((c) => overlaps(c, p))) throw networkErrors.NetcfgSubnetRangesOverlap(name, sc.vnetName);
    }
  }

  const pePolicies =
    readEnum(
      props,
      "privateEndpointNetworkPolicies",
      `${path}.privateEndpointNetworkPolicies`,
      PRIVATE_ENDPOINT_NETWORK_POLICIES,
    ) ?? defaultPrivateEndpointNetworkPolicies(sc.apiVersion);
  const plsPolicies =
    readEnum(
      props,
      "privateLinkServiceNetworkPolicies",
      `${path}.privateLinkServiceNetworkPolicies`,
      PRIVATE_LINK_SERVICE_NETWORK_POLICIES,
    ) ?? PRIVATE_LINK_SERVICE_POLICIES_DEFAULT;
  const delegations = readArray(props, "delegations", `${path}.delegations`);
  const serviceEndpoints =
    props.serviceEndpoints === undefined ? undefined : readArray(props, "serviceEndpoints", `${path}.serviceEndpoints`);

  const ipConfigurations = existing?.body.properties.ipConfigurations;
  const privateEndpoints = existing?.body.properties.privateEndpoints;
  if (existing) {
    // Turning the policies on under private endpoints is allowed: they make NSGs and route tables apply
    // (disable-private-endpoint-network-policy.md), the pre-2022 refusal is gone.
    for (const [ip, holder] of allocatedAddresses(ctx, existing)) {
      if (!cidrs.some((c) => ipInCidr(ip, c)))
        throw networkErrors.InUseSubnetCannotBeUpdated(existing.name, holder, ip);
    }
  }

  const properties: SubnetBody["properties"] = {
    provisioningState: "Succeeded",
    ...(asList ? { addressPrefixes: [...texts] } : { addressPrefix: texts[0] }),
    delegations,
    ...(serviceEndpoints ? { serviceEndpoints } : {}),
    privateEndpointNetworkPolicies: pePolicies,
    privateLinkServiceNetworkPolicies: plsPolicies,
    ...(ipConfigurations?.length ? { ipConfigurations } : {}),
    ...(privateEndpoints?.length ? { privateEndpoints } : {}),
  };
  return { id, name: existing?.name ?? name, etag: existing?.body.etag ?? "", type: SUBNET_TYPE, properties };
}

/** The VNet's address space as parsed prefixes (stored prefixes are valid). */
export function vnetCidrs(prefixes: string[]): Cidr[] {
  return prefixes.map((p) => parseCidr(p));
}

/** Registers the subnet routes. */
export function registerSubnets(router: ArmRouter): void {
  const base =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets";
  const one = `${base}/{subnetName}`;

  router.add("PUT", one, (req, ctx) => {
    const body = requireObjectBody(req);
    const vnet = requireVnet(ctx, req.params.resourceGroupName, req.params.virtualNetworkName);
    const name = req.params.subnetName;
    validateNetworkName(name);
    const existing = getSubnet(ctx, subnetIdOf(vnet.id, name));
    const siblings = subnetsOf(ctx, vnet.id)
      .filter((s) => !existing || s.id.toLowerCase() !== existing.id.toLowerCase())
      .map((s) => s.body);
    const subnet = buildSubnet(
      ctx,
      {
        vnetId: vnet.id,
        vnetName: vnet.name,
        vnetPrefixes: vnetCidrs(vnet.body.properties.addressSpace.addressPrefixes),
        siblings,
        apiVersion: req.apiVersion,
      },
      name,
      body,
      existing,
    );
    const stored = ctx.store.tx(() => {
      putVnetChild(ctx, subnet);
      const v = syncVirtualNetwork(ctx, vnet.id)!;
      return v.properties.subnets.find((s) => s.id.toLowerCase() === subnet.id.toLowerCase())!;
    });
    return networkPutResult(req, ctx, { created: !existing, body: stored, location: vnet.body.location });
  });

  router.add("GET", one, (req, ctx) => {
    const vnet = requireVnet(ctx, req.params.resourceGroupName, req.params.virtualNetworkName);
    return okWithEtag(requireSubnet(ctx, vnet, req.params.subnetName).body);
  });

  router.add("GET", base, (req, ctx) => {
    const vnet = requireVnet(ctx, req.params.resourceGroupName, req.params.virtualNetworkName);
    return { status: 200, body: { value: subnetsOf(ctx, vnet.id).map((s) => s.body) } };
  });

  router.add("DELETE", one, (req, ctx) => {
    const vnet = requireVnet(ctx, req.params.resourceGroupName, req.params.virtualNetworkName);
    const s = getSubnet(ctx, subnetIdOf(vnet.id, req.params.subnetName));
    if (!s) return { status: 204 };
    const user = subnetUser(s.body);
    if (user) throw networkErrors.InUseSubnetCannotBeDeleted(s.name, user);
    ctx.store.tx(() => {
      ctx.store.resources.delete(s.id);
      syncVirtualNetwork(ctx, vnet.id);
    });
    return networkDeleteResult(req, ctx, vnet.body.location);
  });
}
