/**
 * ARM error catalogue: codes and messages as Azure Resource Manager returns them
 * (../shared/reference/control-plane.md §7; "(memory)" entries there are marked the same way here).
 */
import { AzureError, type ErrorDetail } from "../server/errors.js";

const arm = (status: number, code: string, message: string, extra: { details?: ErrorDetail[]; target?: string; headers?: Record<string, string> } = {}) =>
  new AzureError(status, code, message, { surface: "arm", ...extra });

export const armErrors = {
  MissingApiVersionParameter: () => arm(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."),
  ResourceGroupNotFound: (rg: string) => arm(404, "ResourceGroupNotFound", `Resource group '${rg}' could not be found.`),
  SubscriptionNotFound: (sub: string) => arm(404, "SubscriptionNotFound", `The subscription '${sub}' could not be found.`),
  ResourceNotFound: (typeAndName: string, rg: string) =>
    arm(404, "ResourceNotFound", `The Resource '${typeAndName}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`),
  NotFound: (message: string) => arm(404, "NotFound", message),
  InvalidResourceType: (type: string, apiVersion: string) =>
    arm(400, "InvalidResourceType", `The resource type '${type}' could not be found in the namespace '${type.split("/")[0]}' for api version '${apiVersion}'.`),
  NoRegisteredProviderFound: (ns: string, apiVersion: string) =>
    arm(400, "NoRegisteredProviderFound", `No registered resource provider found for location 'global' and API version '${apiVersion}' for type '${ns}'.`),
  InvalidRequestContent: (message: string) => arm(400, "InvalidRequestContent", message),
  InvalidRequestFormat: (message: string) => arm(400, "InvalidRequestFormat", message),
  BadRequest: (message: string) => arm(400, "BadRequest", message),
  MethodNotAllowed: (method: string, path: string) =>
    arm(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`, { target: path }),
  RequestEntityTooLarge: (limit: number) => arm(413, "RequestEntityTooLarge", `The request content size exceeds the maximum allowed size of ${limit} bytes.`),
  UnsupportedMediaType: (type: string) =>
    arm(415, "UnsupportedMediaType", `The content media type '${type}' is not supported. Only 'application/json' is supported.`),
  InvalidResourceGroupLocation: (rg: string, existing: string, requested: string) =>
    arm(409, "InvalidResourceGroupLocation", `Invalid resource group location '${requested}'. The Resource group already exists in location '${existing}'.`, { target: rg }),
  LocationRequired: () => arm(400, "LocationRequired", "The location property is required for this definition."),
  InvalidLocation: (loc: string) =>
    arm(400, "LocationNotAvailableForResourceGroup", `The provided location '${loc}' is not available for resource group. List of available regions is '${KNOWN_LOCATIONS.join(",")}'.`),
  InvalidResourceGroupName: (rg: string) =>
    arm(400, "InvalidResourceGroup", `The provided resource group name '${rg}' has these invalid characters: '${rg.replace(/[-\w._()]/g, "")}'. The name can only be a letter, digit, '-', '.', '_', '(', ')' and must not end with '.'.`),
  PreconditionFailed: (message: string) => arm(412, "PreconditionFailed", message),
  Conflict: (code: string, message: string) => arm(409, code, message),
  InvalidAuthenticationToken: (message = "The access token is invalid.") => arm(401, "InvalidAuthenticationToken", message),
  InvalidAuthenticationTokenAudience: (aud: string) =>
    arm(
      401,
      "InvalidAuthenticationTokenAudience",
      `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`,
    ),
  ExpiredAuthenticationToken: (exp: string, now: string) =>
    arm(401, "ExpiredAuthenticationToken", `The access token expiry UTC time '${exp}' is earlier than current UTC time '${now}'.`),
  AuthenticationFailed: (message = "Authentication failed. The 'Authorization' header is missing.") => arm(401, "AuthenticationFailed", message),
};

/** Regions the emulated cloud offers (Azure public cloud region names). */
export const KNOWN_LOCATIONS = [
  "eastus", "eastus2", "westus", "westus2", "westus3", "centralus", "northcentralus", "southcentralus", "westcentralus",
  "canadacentral", "canadaeast", "brazilsouth", "northeurope", "westeurope", "uksouth", "ukwest", "francecentral",
  "germanywestcentral", "norwayeast", "swedencentral", "switzerlandnorth", "polandcentral", "italynorth", "spaincentral",
  "eastasia", "southeastasia", "japaneast", "japanwest", "australiaeast", "australiasoutheast", "centralindia",
  "southindia", "koreacentral", "uaenorth", "southafricanorth", "qatarcentral", "israelcentral", "mexicocentral",
  "eastus2euap", "centraluseuap",
];

/** Normalises a user-given region ("West Europe", "westeurope") to Azure's short name, or undefined. */
export function normalizeLocation(loc: unknown): string | undefined {
  if (typeof loc !== "string") return undefined;
  const key = loc.replace(/\s+/g, "").toLowerCase();
  return KNOWN_LOCATIONS.includes(key) ? key : key === "global" ? "global" : undefined;
}
