/**
 * ARM api-version checks, per resource type, as Azure Resource Manager does them — without punishing new SDKs.
 *
 * - A version the type published is served.
 * - A well-formed version (`YYYY-MM-DD[-preview|-beta|-alpha|-privatepreview]`) newer than the newest hsmlink knows for
 *   the type is served with the newest known behaviour and noted in the log: a new SDK defaulting to a newer
 *   api-version must keep working (hsmlink's choice; ARM itself would refuse it until the RP registers the version).
 * - Any other version (never published, or malformed) is refused as ARM refuses it: resource provider types get
 *   400 `NoRegisteredProviderFound` "No registered resource provider found for location '{loc}' and API version '{v}'
 *   for type '{type}'. The supported api-versions are '{list}'. The supported locations are '{list}'."
 *   (MicrosoftDocs/azure-docs articles/azure-resource-manager/templates/error-register-resource-provider.md and its
 *   troubleshooting example: bare type, ", "-separated lists); ARM's own endpoints (subscriptions, resource groups,
 *   providers) get 400 `InvalidApiVersionParameter` "The api-version '{v}' is invalid. The supported versions are
 *   '{list}'." (field logs; ","-separated).
 * - `--lenient-api-versions` turns all of it off.
 *
 * The tables are the versions the types published in Azure/azure-rest-api-specs (stable and preview folders), as
 * listed by learn.microsoft.com/azure/templates/{namespace}/allversions and the change logs (fidelity-audit §5).
 * Types hsmlink does not list here (e.g. Microsoft.Authorization, owned elsewhere) are not checked.
 */
import { AzureError } from "../kernel/errors.js";
import { KNOWN_LOCATIONS } from "../kernel/azure-names.js";

/** Microsoft.KeyVault/managedHSMs and its child types (learn.microsoft.com/azure/templates/microsoft.keyvault/allversions; spec examples for 2026-04-01*). */
export const MANAGED_HSM_API_VERSIONS = [
  "2020-04-01-preview",
  "2021-04-01-preview",
  "2021-06-01-preview",
  "2021-10-01",
  "2021-11-01-preview",
  "2022-02-01-preview",
  "2022-07-01",
  "2022-11-01",
  "2023-02-01",
  "2023-07-01",
  "2024-04-01-preview",
  "2024-11-01",
  "2024-12-01-preview",
  "2025-05-01",
  "2026-02-01",
  "2026-03-01-preview",
  "2026-04-01-preview",
  "2026-04-01",
] as const;

/** Every Microsoft.KeyVault api-version (vaults published the older ones too); for the namespace's other types. */
export const KEY_VAULT_API_VERSIONS = [
  "2015-06-01",
  "2016-10-01",
  "2018-02-14",
  "2018-02-14-preview",
  "2019-09-01",
  ...MANAGED_HSM_API_VERSIONS,
] as const;

/** Microsoft.Network (privateEndpoints, virtualNetworks, subnets, networkInterfaces, peerings, …): the network RP releases all its types together. */
export const NETWORK_API_VERSIONS = [
  "2015-05-01-preview",
  "2015-06-15",
  "2016-03-30",
  "2016-06-01",
  "2016-09-01",
  "2016-12-01",
  "2017-03-01",
  "2017-06-01",
  "2017-08-01",
  "2017-09-01",
  "2017-10-01",
  "2017-11-01",
  "2018-01-01",
  "2018-02-01",
  "2018-04-01",
  "2018-06-01",
  "2018-07-01",
  "2018-08-01",
  "2018-10-01",
  "2018-11-01",
  "2018-12-01",
  "2019-02-01",
  "2019-04-01",
  "2019-06-01",
  "2019-07-01",
  "2019-08-01",
  "2019-09-01",
  "2019-11-01",
  "2019-12-01",
  "2020-03-01",
  "2020-04-01",
  "2020-05-01",
  "2020-06-01",
  "2020-07-01",
  "2020-08-01",
  "2020-11-01",
  "2021-02-01",
  "2021-03-01",
  "2021-05-01",
  "2021-08-01",
  "2022-01-01",
  "2022-04-01-preview",
  "2022-05-01",
  "2022-07-01",
  "2022-09-01",
  "2022-11-01",
  "2023-02-01",
  "2023-04-01",
  "2023-05-01",
  "2023-06-01",
  "2023-09-01",
  "2023-11-01",
  "2024-01-01",
  "2024-03-01",
  "2024-05-01",
  "2024-07-01",
  "2024-10-01",
  "2025-01-01",
  "2025-03-01",
  "2025-05-01",
  "2025-07-01",
] as const;

/** Microsoft.Network/privateDnsZones and its children (learn change log; Azure.Provisioning.PrivateDns ResourceVersions). */
export const PRIVATE_DNS_API_VERSIONS = ["2018-09-01", "2020-01-01", "2020-06-01", "2024-06-01"] as const;

/** ARM's own resources API (subscriptions/{s}/resourcegroups, providers, resources): Microsoft.Resources. */
export const RESOURCES_API_VERSIONS = [
  "2014-04-01",
  "2014-04-01-preview",
  "2015-01-01",
  "2015-11-01",
  "2016-02-01",
  "2016-06-01",
  "2016-07-01",
  "2016-09-01",
  "2017-05-10",
  "2017-06-01",
  "2017-08-01",
  "2018-02-01",
  "2018-05-01",
  "2018-06-01",
  "2019-03-01",
  "2019-05-01",
  "2019-05-10",
  "2019-06-01",
  "2019-07-01",
  "2019-08-01",
  "2019-10-01",
  "2019-11-01",
  "2020-01-01",
  "2020-06-01",
  "2020-08-01",
  "2020-10-01",
  "2021-01-01",
  "2021-04-01",
  "2022-01-01",
  "2022-09-01",
  "2022-12-01",
  "2023-07-01",
  "2024-03-01",
  "2024-07-01",
  "2024-11-01",
  "2025-01-01",
  "2025-03-01",
  "2025-04-01",
] as const;

const WELL_FORMED = /^(\d{4})-(\d{2})-(\d{2})(-preview|-beta|-alpha|-privatepreview)?$/i;

/** How a request's api-version fares against a table. */
export type ApiVersionVerdict =
  { readonly kind: "known" } | { readonly kind: "newer"; readonly newest: string } | { readonly kind: "unsupported" };

/** The date part of a version, or undefined when it is not well-formed (a real calendar date). */
function dateOf(v: string): string | undefined {
  const m = WELL_FORMED.exec(v.trim());
  if (!m) return undefined;
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** Judges `apiVersion` against `versions` (the rule in the module comment). */
export function judgeApiVersion(apiVersion: string, versions: readonly string[]): ApiVersionVerdict {
  if (versions.some((v) => v.toLowerCase() === apiVersion.toLowerCase())) return { kind: "known" };
  const date = dateOf(apiVersion);
  if (date === undefined) return { kind: "unsupported" };
  const newest = [...versions].sort((a, b) => (dateOf(a) ?? "").localeCompare(dateOf(b) ?? "")).pop()!;
  return date > (dateOf(newest) ?? "") ? { kind: "newer", newest } : { kind: "unsupported" };
}

/** The table of an ARM path: which versions, the type's name in ARM's messages, and whether it is ARM's own endpoint. */
export interface ApiVersionTable {
  readonly versions: readonly string[];
  /** The bare type ARM names in `NoRegisteredProviderFound` (e.g. `managedHSMs`, `privateDnsZones/virtualNetworkLinks`). */
  readonly type: string;
  readonly armOwn: boolean;
}

/**
 * The api-version table that governs `path` (a request path, any casing), or undefined when hsmlink does not check it.
 */
export function apiVersionTableFor(path: string): ApiVersionTable | undefined {
  const parts = path.split("/").filter(Boolean);
  // The last `providers` segment names the governing provider: an extension resource such as
  // `{hsm id}/providers/Microsoft.Authorization/roleAssignments/{guid}` is served (and versioned) by its own provider.
  const p = parts.map((s) => s.toLowerCase()).lastIndexOf("providers");
  if (p < 0) {
    // /subscriptions, /subscriptions/{s}, /subscriptions/{s}/resourcegroups[/{rg}[/resources]], /tenants, …
    return {
      versions: RESOURCES_API_VERSIONS,
      type: parts.filter((_, i) => i % 2 === 0).join("/") || "tenants",
      armOwn: true,
    };
  }
  const ns = (parts[p + 1] ?? "").toLowerCase();
  const rest = parts.slice(p + 2);
  // /subscriptions/{s}/providers[/{ns}[/register|unregister]]: the resources API's provider endpoints.
  if (!ns || rest.length === 0 || (rest.length === 1 && /^(register|unregister)$/i.test(rest[0]!))) {
    return { versions: RESOURCES_API_VERSIONS, type: "providers", armOwn: true };
  }
  const type = rest.filter((_, i) => i % 2 === 0).join("/");
  const first = rest[0]!.toLowerCase();
  if (ns === "microsoft.keyvault") {
    const mhsm =
      first === "managedhsms" ||
      /deletedmanagedhsms|managedhsmoperationresults|checkmhsmnameavailability|mhsm/i.test(type);
    return { versions: mhsm ? MANAGED_HSM_API_VERSIONS : KEY_VAULT_API_VERSIONS, type, armOwn: false };
  }
  if (ns === "microsoft.network") {
    return {
      versions: first === "privatednszones" ? PRIVATE_DNS_API_VERSIONS : NETWORK_API_VERSIONS,
      type,
      armOwn: false,
    };
  }
  if (ns === "microsoft.resources") return { versions: RESOURCES_API_VERSIONS, type, armOwn: true };
  return undefined;
}

/** 400 `NoRegisteredProviderFound` with ARM's full message. */
export function noRegisteredProviderFound(
  location: string,
  apiVersion: string,
  type: string,
  versions: readonly string[],
): AzureError {
  const supported = [...versions].reverse().join(", ");
  return new AzureError(
    400,
    "NoRegisteredProviderFound",
    `No registered resource provider found for location '${location}' and API version '${apiVersion}' for type '${type}'. The supported api-versions are '${supported}'. The supported locations are '${KNOWN_LOCATIONS.join(", ")}'.`,
    { surface: "arm" },
  );
}

/** 400 `InvalidApiVersionParameter` for ARM's own endpoints. */
export function invalidApiVersionParameter(apiVersion: string, versions: readonly string[]): AzureError {
  return new AzureError(
    400,
    "InvalidApiVersionParameter",
    `The api-version '${apiVersion}' is invalid. The supported versions are '${[...versions].reverse().join(",")}'.`,
    { surface: "arm" },
  );
}

const noted = new Set<string>();

/**
 * Checks the api-version of an ARM request (see the module comment).
 * @param location the region ARM names in `NoRegisteredProviderFound` (the request's, else the default)
 * @param note called once per (type, version) that is newer than the newest known
 * @throws AzureError 400 `NoRegisteredProviderFound` | `InvalidApiVersionParameter`
 */
export function checkArmApiVersion(
  path: string,
  apiVersion: string,
  location: string,
  note: (message: string) => void,
): void {
  const table = apiVersionTableFor(path);
  if (!table) return;
  const verdict = judgeApiVersion(apiVersion, table.versions);
  if (verdict.kind === "known") return;
  if (verdict.kind === "newer") {
    const key = `${table.type.toLowerCase()}@${apiVersion.toLowerCase()}`;
    if (!noted.has(key)) {
      noted.add(key);
      note(
        `api-version ${apiVersion} of ${table.type} is newer than the newest hsmlink knows (${verdict.newest}); served with ${verdict.newest}'s behaviour`,
      );
    }
    return;
  }
  throw table.armOwn
    ? invalidApiVersionParameter(apiVersion, table.versions)
    : noRegisteredProviderFound(location, apiVersion, table.type, table.versions);
}
