/**
 * ARM resource ids: parse and build `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{child}/{name}]…`
 * (Azure REST API guidelines, "Resource IDs"). Comparisons are case-insensitive; building keeps canonical casing.
 */
export interface ParsedResourceId {
  subscriptionId: string;
  resourceGroup?: string;
  namespace?: string;
  /** Type/name pairs below the namespace, outermost first. */
  segments: { type: string; name: string }[];
}

/** Parses an ARM id; returns undefined for anything that is not one. */
export function parseResourceId(id: string): ParsedResourceId | undefined {
  if (typeof id !== "string") return undefined;
  const parts = id.split("/").filter((p) => p.length > 0);
  if (parts.length < 2 || parts[0].toLowerCase() !== "subscriptions") return undefined;
  const out: ParsedResourceId = { subscriptionId: parts[1], segments: [] };
  let i = 2;
  if (parts[i]?.toLowerCase() === "resourcegroups") {
    if (!parts[i + 1]) return undefined;
    out.resourceGroup = parts[i + 1];
    i += 2;
  }
  if (i === parts.length) return out;
  if (parts[i]?.toLowerCase() !== "providers" || !parts[i + 1]) return undefined;
  out.namespace = parts[i + 1];
  i += 2;
  const rest = parts.slice(i);
  if (rest.length % 2 !== 0) return undefined;
  for (let j = 0; j < rest.length; j += 2) out.segments.push({ type: rest[j], name: rest[j + 1] });
  return out;
}

/** The full resource type of a parsed id, e.g. `Microsoft.Network/virtualNetworks/subnets`. */
export function resourceTypeOf(p: ParsedResourceId): string | undefined {
  if (!p.namespace) return undefined;
  return [p.namespace, ...p.segments.map((s) => s.type)].join("/");
}

export function resourceGroupId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

/** Builds a resource id from canonical parts. `segments` alternate type and name. */
export function resourceId(
  subscriptionId: string,
  resourceGroup: string,
  namespace: string,
  ...segments: string[]
): string {
  return `${resourceGroupId(subscriptionId, resourceGroup)}/providers/${namespace}/${segments.join("/")}`;
}

/** Case-insensitive id equality. */
export function sameId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

/** The id of the parent of a child resource id (drops the last type/name pair). */
export function parentIdOf(id: string): string {
  const parts = id.split("/");
  return parts.slice(0, -2).join("/");
}
