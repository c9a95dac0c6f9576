/**
 * ARM error catalogue: codes and messages as Azure Resource Manager returns them
 * (../shared/reference/control-plane.md §7; "(memory)" entries there are marked the same way here).
 */
import { KNOWN_LOCATIONS } from "../kernel/azure-names.js";
import { AzureError, type ErrorDetail } from "../kernel/errors.js";

const arm = (
  status: number,
  code: string,
  message: string,
  extra: { details?: ErrorDetail[]; target?: string; headers?: Record<string, string> } = {},
) => new AzureError(status, code, message, { surface: "arm", ...extra });

export const armErrors = {
  MissingApiVersionParameter: () =>
    arm(
      400,
      "MissingApiVersionParameter",
      "The api-version query parameter (?api-version=) is required for all requests.",
    ),
  ResourceGroupNotFound: (rg: string) =>
    arm(404, "ResourceGroupNotFound", `Resource group '${rg}' could not be found.`),
  SubscriptionNotFound: (sub: string) =>
    arm(404, "SubscriptionNotFound", `The subscription '${sub}' could not be found.`),
  ResourceNotFound: (typeAndName: string, rg: string) =>
    arm(
      404,
      "ResourceNotFound",
      `The Resource '${typeAndName}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    ),
  NotFound: (message: string) => arm(404, "NotFound", message),
  /** The type without its namespace (fidelity-audit §5: "The resource type 'openshiftclusters' could not be found in the namespace 'microsoft.redhatopenshift' …"; 400 vs 404 unresolved, 400 kept). */
  InvalidResourceType: (type: string, ns: string, apiVersion: string) =>
    arm(
      400,
      "InvalidResourceType",
      `The resource type '${type}' could not be found in the namespace '${ns}' for api version '${apiVersion}'.`,
    ),
  /** An unknown resource provider namespace (field reports and other ARM emulators; fidelity-audit §5, weak source). */
  InvalidResourceNamespace: (ns: string) =>
    arm(404, "InvalidResourceNamespace", `The resource namespace '${ns}' is invalid.`),
  InvalidRequestContent: (message: string) => arm(400, "InvalidRequestContent", message),
  InvalidRequestFormat: (message: string) => arm(400, "InvalidRequestFormat", message),
  BadRequest: (message: string) => arm(400, "BadRequest", message),
  MethodNotAllowed: (method: string, path: string) =>
    arm(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`, { target: path }),
  RequestEntityTooLarge: (limit: number) =>
    arm(413, "RequestEntityTooLarge", `The request content size exceeds the maximum allowed size of ${limit} bytes.`),
  UnsupportedMediaType: (type: string) =>
    arm(
      415,
      "UnsupportedMediaType",
      `The content media type '${type}' is not supported. Only 'application/json' is supported.`,
    ),
  InvalidResourceGroupLocation: (rg: string, existing: string, requested: string) =>
    arm(
      409,
      "InvalidResourceGroupLocation",
      `Invalid resource group location '${requested}'. The Resource group already exists in location '${existing}'.`,
      { target: rg },
    ),
  LocationRequired: () => arm(400, "LocationRequired", "The location property is required for this definition."),
  InvalidLocation: (loc: string) =>
    arm(
      400,
      "LocationNotAvailableForResourceGroup",
      `The provided location '${loc}' is not available for resource group. List of available regions is '${KNOWN_LOCATIONS.join(",")}'.`,
    ),
  ResourceGroupNameTooLong: (rg: string) =>
    arm(
      400,
      "InvalidResourceGroup",
      `The provided resource group name '${rg}' is ${rg.length} characters long; a resource group name can be at most 90 characters.`,
    ),
  InvalidResourceGroupName: (rg: string) =>
    arm(
      400,
      "InvalidResourceGroup",
      `The provided resource group name '${rg}' has these invalid characters: '${rg.replace(/[-\w._()]/g, "")}'. The name can only be a letter, digit, '-', '.', '_', '(', ')' and must not end with '.'.`,
    ),
  PreconditionFailed: (message: string) => arm(412, "PreconditionFailed", message),
  Conflict: (code: string, message: string) => arm(409, code, message),
  InvalidAuthenticationToken: (message = "The access token is invalid.") =>
    arm(401, "InvalidAuthenticationToken", message),
  InvalidAuthenticationTokenAudience: (aud: string) =>
    arm(
      401,
      "InvalidAuthenticationTokenAudience",
      `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`,
    ),
  ExpiredAuthenticationToken: (exp: string, now: string) =>
    arm(
      401,
      "ExpiredAuthenticationToken",
      `The access token expiry UTC time '${exp}' is earlier than current UTC time '${now}'.`,
    ),
  AuthenticationFailed: (message = "Authentication failed. The 'Authorization' header is missing.") =>
    arm(401, "AuthenticationFailed", message),
  /** (memory) A tracked resource in a region the type is not offered in (e.g. `global` for a virtual network). */
  LocationNotAvailableForResourceType: (loc: string, type: string) =>
    arm(
      400,
      "LocationNotAvailableForResourceType",
      `The provided location '${loc}' is not available for resource type '${type}'. List of available regions for the resource type is '${KNOWN_LOCATIONS.join(",")}'.`,
    ),
  /** (memory) PUT of an existing resource with another location. */
  InvalidResourceLocation: (name: string, existing: string, rg: string, requested: string) =>
    arm(
      400,
      "InvalidResourceLocation",
      `The resource '${name}' already exists in location '${existing}' in resource group '${rg}'. A resource with the same name cannot be created in location '${requested}'. Please select a new resource name.`,
    ),
  /** (memory) A reference property (`properties.subnet.id`, …) that is not a fully qualified resource id. */
  LinkedInvalidPropertyId: (value: string, path: string) =>
    arm(
      400,
      "LinkedInvalidPropertyId",
      `Property id '${value}' at path '${path}' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.`,
    ),
  /** Key Vault RP's 409 (e.g. "A KV MHSM with the same name already exists in deleted state. …", azure-rest-api-specs #18732). */
  ConflictError: (message: string) => arm(409, "ConflictError", message),
  /** Over a documented limit (private endpoints per managed HSM, HSMs with private endpoints per subscription); code chosen, FC-37. */
  QuotaExceeded: (message: string) => arm(400, "QuotaExceeded", message),
  /** A private endpoint whose target is not a live managed HSM (wording of InvalidResourceReference without the region clause: the HSM may be in another region). */
  PrivateLinkTargetNotFound: (targetId: string, byId: string) =>
    arm(
      400,
      "InvalidResourceReference",
      `Resource ${targetId} referenced by resource ${byId} was not found. Please make sure that the referenced resource exists.`,
      {
        details: [{ code: "NotFound", message: `Resource ${targetId} not found.` }],
      },
    ),
  /**
   * More than one group id on a connection to a first-party resource: the network RP's code and wording as captured in
   * DFE-Digital/terraform-azurerm-container-apps-hosting#352 (field report; storage target, same network RP rule).
   */
  OnlyOneGroupIdPermitted: (connectionId: string, groupIds: string[], targetId: string) =>
    arm(
      400,
      "OnlyOneGroupIdPermitted",
      `Private link service connection ${connectionId} has the following group Ids: ${groupIds.join(", ")}. Only one group Id is permitted when connecting to a first-party resource (${targetId}).`,
    ),
  /** Real network RP wording (Azure/azure-cli #15136). */
  MissingParameterOnPrivateLinkServiceConnection: (connectionId: string) =>
    arm(
      400,
      "MissingParameterOnPrivateLinkServiceConnection",
      `Private link service connection ${connectionId} is missing required parameter 'group Id'.`,
    ),
  /** ARM's answer for a nested resource whose parent is missing (learn.microsoft.com "Resolve errors for parent resources"). */
  ParentResourceNotFound: (parentName: string) =>
    arm(
      404,
      "ParentResourceNotFound",
      `Can not perform requested operation on nested resource. Parent resource '${parentName}' not found.`,
    ),
  /** Private DNS zone or link in a region other than `global` (same code as above; the only region offered is `global`). */
  GlobalLocationOnly: (loc: string, type: string) =>
    arm(
      400,
      "LocationNotAvailableForResourceType",
      `The provided location '${loc}' is not available for resource type '${type}'. List of available regions for the resource type is 'global'.`,
    ),
  /** Deleting a private DNS zone that still has virtual network links (real wording, learntocloud/networking-lab #8). `nested`: `Microsoft.Network/privateDnsZones/{z}/virtualNetworkLinks/{l}`. */
  CannotDeleteResource: (nested: string[]) =>
    arm(
      409,
      "CannotDeleteResource",
      `Cannot delete resource while nested resources exist. Some existing nested resource IDs include: ${nested.map((n) => `'${n}'`).join(", ")}. Please delete all nested resources before deleting this resource.`,
    ),
  /** A private DNS zone group naming a zone that does not exist (field-cases.md FC-14). */
  InvalidPrivateDnsZoneIds: (zoneGroupId: string) =>
    arm(400, "InvalidPrivateDnsZoneIds", `Private Dns Zone group ${zoneGroupId} has invalid private dns zone ids.`),
};
