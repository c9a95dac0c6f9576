/**
 * Microsoft.Network/privateEndpoints (control-plane.md §2 rows 13–14, §2.1, §4.3, §9.5; FC-34): PUT (network LRO,
 * 201/200), GET, DELETE (202), list per resource group and subscription.
 *
 * Create: the subnet must exist in a VNet of the private endpoint's region (`InvalidResourceReference`), whatever its
 * `privateEndpointNetworkPolicies` (disable-private-endpoint-network-policy.md); the target side (managed HSM, group id, limits, the
 * HSM-side connection and its Approved/Pending state) is ../private-link/connections.ts. Then the read-only NIC
 * `{pe}.nic.{guid}` (or `customNetworkInterfaceName`) gets the subnet's next free address (or the static one of
 * `ipConfigurations`), the subnet gets its back-references, and `customDnsConfigs` maps the HSM's FQDN to the
 * address. A PUT of an existing private endpoint keeps its NIC and address. Delete undoes all of it.
 *
 * The stored body keeps the §4.3 wire shape, because connections.ts rewrites the connection state inside it when
 * the HSM side approves, rejects or deletes the connection.
 */
import { addListRoutes } from "../lists.js";
import type { ArmContext, ArmRouter, CascadeDeleter, ArmRequest } from "../../engine.js";
import { requireObjectBody } from "../../engine.js";
import { armErrors } from "../../errors.js";
import { parentIdOf, parseResourceId, resourceId, resourceTypeOf, sameId } from "../../../kernel/resource-ids.js";
import type { StoredResource } from "../../../store/resources.js";
import { isIpv4 } from "../../../network/cidr.js";
import { newGuid } from "../../../kernel/ids.js";
import { requireResourceGroup } from "../resource-groups/index.js";
import { connectPrivateEndpoint, disconnectPrivateEndpoint } from "../managed-hsms/private-link.js";
import { MHSM_GROUP_ID } from "../managed-hsms/model.js";
import { refreshZoneGroupRecords, removeZoneGroupRecords } from "../private-dns-zones/zone-groups.js";
import {
  NETWORK_NS,
  PE_TYPE,
  SUBNET_TYPE,
  newEtag,
  networkDeleteResult,
  networkPutResult,
  okWithEtag,
  readArray,
  readObject,
  readProperties,
  readTags,
  requireRegion,
  requireSameLocation,
  validateNetworkName,
  type SubResource,
} from "../virtual-networks/common.js";
import { networkErrors } from "../virtual-networks/errors.js";
import { getSubnet, getVnet, updateSubnetBackReferences, type SubnetBody } from "../virtual-networks/model.js";
import { MHSM_APPROVAL_ACTION, SUBNET_JOIN_ACTION } from "../../../kernel/azure-roles.js";
import type {
  PrivateEndpoint,
  PrivateEndpointIPConfiguration,
  PrivateLinkServiceConnection,
} from "../../../kernel/arm-wire.js";
import {
  allocateAddress,
  createPrivateEndpointNic,
  getNic,
  nicIdOf,
  putNic,
  removeNic,
} from "../network-interfaces/index.js";

/** The member name every managed HSM private link resource requires (control-plane.md §3.5 `requiredMembers`). */
const MHSM_REQUIRED_MEMBER = "default";
/** Longest `requestMessage` (az help text, control-plane.md §8). */
const MAX_REQUEST_MESSAGE = 140;

/** A stored private endpoint connection (PE side): the wire type (src/kernel/arm-wire.ts). */
export type PeConnectionBody = PrivateLinkServiceConnection;
/** A stored private endpoint ip configuration: the wire type. */
export type PeIpConfigurationBody = PrivateEndpointIPConfiguration;
/** A stored private endpoint: the wire type. */
export type PrivateEndpointBody = PrivateEndpoint;

/** The parsed connection of a PUT body (exactly one, automatic or manual). */
interface ConnectionInput {
  name: string;
  manual: boolean;
  privateLinkServiceId: string;
  groupIds: string[];
  requestMessage?: string;
}

/** The stored private endpoint (any id casing), or undefined. */
export function getPrivateEndpoint(ctx: ArmContext, id: string): StoredResource<PrivateEndpointBody> | undefined {
  const r = ctx.store.resources.get<PrivateEndpointBody>(id);
  return r && r.type.toLowerCase() === PE_TYPE.toLowerCase() ? r : undefined;
}

function readConnection(props: Record<string, unknown>, peId: string): ConnectionInput {
  const auto = readArray(props, "privateLinkServiceConnections", "properties.privateLinkServiceConnections");
  const manual = readArray(
    props,
    "manualPrivateLinkServiceConnections",
    "properties.manualPrivateLinkServiceConnections",
  );
  if (auto.length + manual.length !== 1) throw networkErrors.InvalidPrivateLinkServiceConnectionCount(peId);
  const isManual = manual.length === 1;
  const arrayName = isManual ? "manualPrivateLinkServiceConnections" : "privateLinkServiceConnections";
  const path = `properties.${arrayName}[0]`;
  const raw = (isManual ? manual[0] : auto[0]) as unknown;
  if (!raw || typeof raw !== "object" || Array.isArray(raw))
    throw networkErrors.InvalidRequestFormat(path, "Expected a JSON object.");
  const c = raw as Record<string, unknown>;
  const name = c.name;
  if (typeof name !== "string" || !name)
    throw networkErrors.InvalidRequestFormat(`${path}.name`, "A private link service connection must have a name.");
  validateNetworkName(name);
  const cp = readProperties(c, `${path}.properties`);
  const target = cp.privateLinkServiceId;
  if (typeof target !== "string" || !target)
    throw networkErrors.MissingJsonReferenceId(`${path}.properties.privateLinkServiceId`);
  if (!parseResourceId(target))
    throw armErrors.LinkedInvalidPropertyId(target, `${path}.properties.privateLinkServiceId`);
  const groupIds = readArray(cp, "groupIds", `${path}.properties.groupIds`);
  if (groupIds.some((g) => typeof g !== "string"))
    throw networkErrors.InvalidRequestFormat(`${path}.properties.groupIds`, "Expected an array of strings.");
  const msg = cp.requestMessage;
  if (msg !== undefined && msg !== null && typeof msg !== "string")
    throw networkErrors.InvalidRequestFormat(`${path}.properties.requestMessage`, "Expected a string.");
  if (typeof msg === "string" && msg.length > MAX_REQUEST_MESSAGE)
    throw networkErrors.RequestMessageTooLong(`${peId}/${arrayName}/${name}`, msg.length);
  return {
    name,
    manual: isManual,
    privateLinkServiceId: target,
    groupIds: groupIds as string[],
    ...(typeof msg === "string" ? { requestMessage: msg } : {}),
  };
}

/** Static ip configurations of a PUT body: `[{name, properties: {groupId, memberName, privateIPAddress}}]`. */
function readStaticIpConfigurations(
  props: Record<string, unknown>,
): { name: string; groupId: string; memberName: string; ip: string }[] {
  return readArray(props, "ipConfigurations", "properties.ipConfigurations").map((raw, i) => {
    const path = `properties.ipConfigurations[${i}]`;
    if (!raw || typeof raw !== "object" || Array.isArray(raw))
      throw networkErrors.InvalidRequestFormat(path, "Expected a JSON object.");
    const r = raw as Record<string, unknown>;
    if (typeof r.name !== "string" || !r.name)
      throw networkErrors.InvalidRequestFormat(`${path}.name`, "An ip configuration must have a name.");
    validateNetworkName(r.name);
    const p = readProperties(r, `${path}.properties`);
    const str = (k: string) => {
      const v = p[k];
      if (typeof v !== "string" || !v)
        throw networkErrors.InvalidRequestFormat(`${path}.properties.${k}`, `Property '${k}' is required.`);
      return v;
    };
    const ip = str("privateIPAddress");
    if (!isIpv4(ip))
      throw networkErrors.InvalidRequestFormat(
        `${path}.properties.privateIPAddress`,
        `'${ip}' is not a valid IPv4 address.`,
      );
    return { name: r.name, groupId: str("groupId"), memberName: str("memberName"), ip };
  });
}

function sameConnection(stored: PeConnectionBody, manual: boolean, input: ConnectionInput): boolean {
  const storedManual = stored.id.toLowerCase().includes("/manualprivatelinkserviceconnections/");
  return (
    storedManual === manual &&
    stored.name.toLowerCase() === input.name.toLowerCase() &&
    sameId(stored.properties.privateLinkServiceId, input.privateLinkServiceId) &&
    stored.properties.groupIds.length === input.groupIds.length &&
    stored.properties.groupIds.every((g, i) => g.toLowerCase() === input.groupIds[i].toLowerCase())
  );
}

/**
 * Deletes a private endpoint with everything it owns: its private DNS zone groups and their records, the HSM-side
 * connection, its NIC (freeing the address) and the subnet back-references. Runs inside the caller's transaction.
 */
export function removePrivateEndpoint(ctx: ArmContext, id: string): void {
  const pe = getPrivateEndpoint(ctx, id);
  if (!pe) return;
  // Records first: the zone groups read the private endpoint's body to know which addresses they wrote.
  removeZoneGroupRecords(ctx, pe.id);
  disconnectPrivateEndpoint(ctx, pe.id);
  for (const child of ctx.store.resources.children(pe.id)) ctx.store.resources.delete(child.id);
  for (const nic of pe.body.properties.networkInterfaces ?? []) removeNic(ctx, nic.id);
  ctx.store.resources.delete(pe.id);
  if (getSubnet(ctx, pe.body.properties.subnet.id))
    updateSubnetBackReferences(ctx, pe.body.properties.subnet.id, { remove: { privateEndpoints: [pe.id] } });
}

function putPrivateEndpoint(ctx: ArmContext, body: PrivateEndpointBody): void {
  const p = parseResourceId(body.id)!;
  ctx.store.resources.put(
    {
      id: body.id,
      type: PE_TYPE,
      name: body.name,
      subscriptionId: p.subscriptionId,
      resourceGroup: p.resourceGroup,
      body,
    },
    ctx.clock.now(),
  );
}

/** A validated PUT of a private endpoint: what the body asks for and what already exists. */
interface PutRequest {
  name: string;
  resourceGroup: string;
  location: string;
  peId: string;
  existing: StoredResource<PrivateEndpointBody> | undefined;
  tags: Record<string, string> | undefined;
  subnet: StoredResource<SubnetBody>;
  connection: ConnectionInput;
  statics: { name: string; groupId: string; memberName: string; ip: string }[];
  customNic: string | undefined;
}

/**
 * Reads and validates a PUT body against what exists (resource group, region, subnet, network policies, the
 * unchangeable subnet and static addresses). Writes nothing.
 * @throws AzureError with the network RP's codes (networkErrors) or ARM's (armErrors)
 */
function readPutRequest(req: ArmRequest, ctx: ArmContext): PutRequest {
  const body = requireObjectBody(req);
  const name = req.params.privateEndpointName;
  validateNetworkName(name);
  const rg = requireResourceGroup(ctx, ctx.subscriptionId, req.params.resourceGroupName);
  const location = requireRegion(body.location, PE_TYPE);
  const existing = getPrivateEndpoint(
    ctx,
    resourceId(ctx.subscriptionId, rg.name, NETWORK_NS, "privateEndpoints", name),
  );
  requireSameLocation(existing && { name: existing.name, location: existing.body.location }, rg.name, location);
  const peId = existing?.id ?? resourceId(ctx.subscriptionId, rg.name, NETWORK_NS, "privateEndpoints", name);
  const tags = readTags(body.tags);
  const props = readProperties(body);

  const subnetRef = readObject(props, "subnet", "properties.subnet");
  const subnetIdIn = subnetRef?.id;
  if (typeof subnetIdIn !== "string" || !subnetIdIn) throw networkErrors.MissingJsonReferenceId("properties.subnet");
  const parsedSubnet = parseResourceId(subnetIdIn);
  if (!parsedSubnet?.resourceGroup || resourceTypeOf(parsedSubnet)?.toLowerCase() !== SUBNET_TYPE.toLowerCase()) {
    throw armErrors.LinkedInvalidPropertyId(subnetIdIn, "properties.subnet.id");
  }
  const connection = readConnection(props, peId);
  const statics = readStaticIpConfigurations(props);
  // Linked access checks (private-link/rbac-permissions.md): the creator joins the subnet, and an automatic
  // connection is approved on creation only when the creator may approve it on the target; otherwise Azure refuses
  // the request (LinkedAuthorizationFailed) and the creator must ask with a manual connection instead.
  req.decisions.linked("Microsoft.Network/privateEndpoints/write", SUBNET_JOIN_ACTION, subnetIdIn);
  const keepsConnection =
    existing &&
    [
      ...existing.body.properties.privateLinkServiceConnections,
      ...existing.body.properties.manualPrivateLinkServiceConnections,
    ].some((c) => sameConnection(c, connection.manual, connection));
  if (!connection.manual && !keepsConnection) {
    req.decisions.linked(
      "Microsoft.Network/privateEndpoints/write",
      MHSM_APPROVAL_ACTION,
      connection.privateLinkServiceId,
    );
  }
  const customNic = props.customNetworkInterfaceName;
  if (customNic !== undefined && customNic !== null && customNic !== "") {
    if (typeof customNic !== "string")
      throw networkErrors.InvalidRequestFormat("properties.customNetworkInterfaceName", "Expected a string.");
    validateNetworkName(customNic);
  }

  // The network RP looks the subnet up in the private endpoint's region: another region reads as "not found".
  const vnetIdIn = parentIdOf(subnetIdIn);
  const vnet = getVnet(ctx, vnetIdIn);
  if (!vnet || vnet.body.location !== location)
    throw networkErrors.InvalidResourceReference(vnet?.id ?? vnetIdIn, peId);
  const subnet = getSubnet(ctx, subnetIdIn);
  if (!subnet) throw networkErrors.InvalidResourceReference(subnetIdIn, peId);
  if (existing && !sameId(existing.body.properties.subnet.id, subnet.id))
    throw networkErrors.PrivateEndpointSubnetCannotBeChanged(peId, existing.body.properties.subnet.id, subnet.id);
  // Any privateEndpointNetworkPolicies value allows an endpoint: since NSG/UDR support for private endpoints (GA 2022)
  // the policies decide whether NSGs and route tables apply, not whether endpoints may exist
  // (articles/private-link/disable-private-endpoint-network-policy.md). The troubleshooter notes subnets with them on.
  if (existing && statics.length) {
    const had = existing.body.properties.ipConfigurations.map((c) => c.properties.privateIPAddress).sort();
    const want = statics.map((s) => s.ip).sort();
    if (had.length !== want.length || had.some((ip, i) => ip !== want[i]))
      throw networkErrors.PrivateEndpointIpConfigurationsCannotBeChanged(peId);
  }
  return {
    name,
    resourceGroup: rg.name,
    location,
    peId,
    existing,
    tags,
    subnet,
    connection,
    statics,
    customNic: typeof customNic === "string" && customNic ? customNic : undefined,
  };
}

/** The private link side of a PUT: the connection kept as stored, or (re)connected to its target HSM. */
interface LinkOutcome {
  /** The stored connection when the PUT keeps it unchanged. */
  kept: PeConnectionBody | undefined;
  state: PeConnectionBody["properties"]["privateLinkServiceConnectionState"];
  hsmFqdn: string;
}

/** Keeps the stored connection when the PUT names the same one, else disconnects it and connects the new target (writes the HSM side). */
function linkConnection(ctx: ArmContext, put: PutRequest): LinkOutcome {
  const { existing, connection, peId } = put;
  const storedConn =
    existing &&
    [
      ...existing.body.properties.privateLinkServiceConnections,
      ...existing.body.properties.manualPrivateLinkServiceConnections,
    ][0];
  if (existing && storedConn && sameConnection(storedConn, connection.manual, connection)) {
    return {
      kept: storedConn,
      state: storedConn.properties.privateLinkServiceConnectionState,
      hsmFqdn: existing.body.properties.customDnsConfigs[0]?.fqdn ?? "",
    };
  }
  if (existing) disconnectPrivateEndpoint(ctx, peId);
  const linked = connectPrivateEndpoint(ctx, {
    hsmId: connection.privateLinkServiceId,
    privateEndpointId: peId,
    privateEndpointLocation: put.location,
    connectionName: connection.name,
    manual: connection.manual,
    ...(connection.requestMessage !== undefined ? { requestMessage: connection.requestMessage } : {}),
    groupIds: connection.groupIds,
  });
  return { kept: undefined, state: linked.state, hsmFqdn: linked.hsmFqdn };
}

/**
 * The private endpoint's network interface: a new PE gets a NIC with the next free (or the static) address in its
 * subnet and a subnet back-reference; an existing one keeps its NIC, whose private link properties follow a new
 * target HSM. @returns the NIC id and the private address
 */
function placeNetworkInterface(
  ctx: ArmContext,
  put: PutRequest,
  link: LinkOutcome,
  groupId: string,
): { nicId: string; ip: string } {
  const { existing, statics, subnet, peId } = put;
  if (existing) {
    const nicId = existing.body.properties.networkInterfaces[0]?.id ?? "";
    const nic = nicId ? getNic(ctx, nicId) : undefined;
    const ip =
      nic?.body.properties.ipConfigurations[0]?.properties.privateIPAddress ??
      existing.body.properties.customDnsConfigs[0]?.ipAddresses[0] ??
      "";
    if (nic && !link.kept) {
      // A new target: the NIC's private link properties name the new HSM's FQDN.
      const updated = structuredClone(nic.body);
      for (const c of updated.properties.ipConfigurations) {
        if (c.properties.privateLinkConnectionProperties)
          c.properties.privateLinkConnectionProperties = {
            groupId,
            requiredMemberName: MHSM_REQUIRED_MEMBER,
            fqdns: [link.hsmFqdn],
          };
      }
      updated.etag = newEtag();
      putNic(ctx, updated);
    }
    return { nicId, ip };
  }
  const nicName = put.customNic ?? `${put.name}.nic.${newGuid()}`;
  const nicId = nicIdOf(ctx.subscriptionId, put.resourceGroup, nicName);
  if (ctx.store.resources.get(nicId))
    throw armErrors.Conflict(
      "NetworkInterfaceAlreadyExists",
      `Network interface ${nicId} already exists; choose another customNetworkInterfaceName.`,
    );
  const ipcName = statics[0]?.name ?? `privateEndpointIpConfig.${newGuid()}`;
  const allocation = allocateAddress(ctx, subnet, `${nicId}/ipConfigurations/${ipcName}`, statics[0]?.ip);
  createPrivateEndpointNic(ctx, {
    nicId,
    location: put.location,
    ...(put.tags ? { tags: put.tags } : {}),
    privateEndpointId: peId,
    subnetId: subnet.id,
    fqdns: [link.hsmFqdn],
    ipConfigurations: [
      { name: ipcName, ip: allocation.ip, method: allocation.method, groupId, memberName: MHSM_REQUIRED_MEMBER },
    ],
  });
  updateSubnetBackReferences(ctx, subnet.id, { add: { privateEndpoints: [peId] } });
  return { nicId, ip: allocation.ip };
}

/** The stored body of the private endpoint after a PUT. Pure. */
function privateEndpointBody(
  put: PutRequest,
  link: LinkOutcome,
  nic: { nicId: string; ip: string },
): PrivateEndpointBody {
  const { existing, connection, peId, statics } = put;
  const etag = newEtag();
  const arrayName = connection.manual ? "manualPrivateLinkServiceConnections" : "privateLinkServiceConnections";
  const connectionName = link.kept ? link.kept.name : connection.name;
  const connBody: PeConnectionBody = {
    name: connectionName,
    id: `${peId}/${arrayName}/${connectionName}`,
    etag,
    type: `${PE_TYPE}/${arrayName}`,
    properties: {
      provisioningState: "Succeeded",
      privateLinkServiceId: link.kept ? link.kept.properties.privateLinkServiceId : connection.privateLinkServiceId,
      groupIds: [...connection.groupIds],
      ...(connection.requestMessage !== undefined ? { requestMessage: connection.requestMessage } : {}),
      privateLinkServiceConnectionState: { ...link.state },
    },
  };
  const staticsStored: PeIpConfigurationBody[] = existing
    ? existing.body.properties.ipConfigurations
    : statics.map((s) => ({
        name: s.name,
        id: `${peId}/ipConfigurations/${s.name}`,
        etag,
        type: `${PE_TYPE}/ipConfigurations`,
        properties: { groupId: s.groupId, memberName: s.memberName, privateIPAddress: s.ip },
      }));
  return {
    name: existing?.name ?? put.name,
    id: peId,
    etag,
    type: PE_TYPE,
    location: put.location,
    ...(put.tags ? { tags: put.tags } : {}),
    properties: {
      provisioningState: "Succeeded",
      resourceGuid: existing?.body.properties.resourceGuid ?? newGuid(),
      privateLinkServiceConnections: connection.manual ? [] : [connBody],
      manualPrivateLinkServiceConnections: connection.manual ? [connBody] : [],
      customNetworkInterfaceName: existing
        ? existing.body.properties.customNetworkInterfaceName
        : (put.customNic ?? ""),
      subnet: { id: put.subnet.id },
      ipConfigurations: staticsStored,
      applicationSecurityGroups: existing?.body.properties.applicationSecurityGroups ?? [],
      networkInterfaces: nic.nicId ? [{ id: nic.nicId }] : [],
      customDnsConfigs: link.hsmFqdn && nic.ip ? [{ fqdn: link.hsmFqdn, ipAddresses: [nic.ip] }] : [],
    },
  };
}

/**
 * PUT of a private endpoint (Microsoft.Network 2022-01-01 PrivateEndpoints_CreateOrUpdate): validate, then in one
 * transaction connect to the HSM, place the NIC, store the private endpoint and refresh its zone groups' records.
 */
function handlePut(req: ArmRequest, ctx: ArmContext) {
  const put = readPutRequest(req, ctx);
  const result = ctx.store.tx(() => {
    const link = linkConnection(ctx, put);
    const groupId = put.connection.groupIds[0] ?? MHSM_GROUP_ID;
    // FC-34: static ip configurations must cover exactly the members the private link resource requires.
    if (!put.existing && put.statics.length) {
      const s = put.statics;
      const ok =
        s.length === 1 &&
        s[0].groupId.toLowerCase() === MHSM_GROUP_ID &&
        s[0].memberName.toLowerCase() === MHSM_REQUIRED_MEMBER;
      if (!ok) throw networkErrors.PrivateEndpointStaticIpConfigurationMissingMemberNames(put.peId, s, MHSM_GROUP_ID);
    }
    const nic = placeNetworkInterface(ctx, put, link, groupId);
    const pe = privateEndpointBody(put, link, nic);
    putPrivateEndpoint(ctx, pe);
    // An update can change the connection (new target, new state) and so the A records its zone groups own.
    if (put.existing) refreshZoneGroupRecords(ctx, pe.id);
    return pe;
  });
  return networkPutResult(req, ctx, { created: !put.existing, body: result, location: put.location });
}

/** Registers the private endpoint routes and the cascade deleter (order 10: before NICs and virtual networks). */
export function registerPrivateEndpoints(router: ArmRouter, deleters: CascadeDeleter[]): void {
  const rgBase =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Network/privateEndpoints";
  const one = `${rgBase}/{privateEndpointName}`;
  const idOf = (ctx: ArmContext, rg: string, name: string) =>
    resourceId(ctx.subscriptionId, rg, NETWORK_NS, "privateEndpoints", name);

  router.add("PUT", one, handlePut);

  router.add("GET", one, (req, ctx) => {
    const pe = getPrivateEndpoint(ctx, idOf(ctx, req.params.resourceGroupName, req.params.privateEndpointName));
    if (!pe)
      throw armErrors.ResourceNotFound(`${PE_TYPE}/${req.params.privateEndpointName}`, req.params.resourceGroupName);
    return okWithEtag(pe.body);
  });

  addListRoutes(router, PE_TYPE);

  router.add("DELETE", one, (req, ctx) => {
    const pe = getPrivateEndpoint(ctx, idOf(ctx, req.params.resourceGroupName, req.params.privateEndpointName));
    if (!pe) return { status: 204 };
    ctx.store.tx(() => removePrivateEndpoint(ctx, pe.id));
    return networkDeleteResult(req, ctx, pe.body.location);
  });

  deleters.push({ type: PE_TYPE, order: 10, remove: (ctx, id) => removePrivateEndpoint(ctx, id) });
}
