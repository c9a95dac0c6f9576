/**
 * The settings routes. Local RBAC (hsmlink's choice — the service's data actions for settings are not published):
 * reading needs `roleDefinitions/read/action` (every built-in role), changing needs `roleAssignments/write/action`
 * (Managed HSM Administrator, Crypto Officer), at scope `/`.
 */
import { decodeParam, type FeatureRoute as DataPlaneRoute } from "../route.js";
import { action } from "../rbac/roles.js";
import type { SettingsService } from "./service.js";

export function settingsRoutes(settings: SettingsService): DataPlaneRoute[] {
  const route = (
    method: string,
    path: string,
    dataAction: string,
    handle: DataPlaneRoute["handle"],
  ): DataPlaneRoute => ({ method, path, authorize: () => ({ dataAction: action(dataAction), scope: "/" }), handle });
  return [
    route("GET", "/settings", "roleDefinitions/read/action", (r) => ({ status: 200, body: settings.list(r.hsm) })),
    route("GET", "/settings/{name}", "roleDefinitions/read/action", (r, p) => ({
      status: 200,
      body: settings.get(r.hsm, decodeParam(p.name, "setting name")),
    })),
    route("PATCH", "/settings/{name}", "roleAssignments/write/action", (r, p) => ({
      status: 200,
      body: settings.update(r.hsm, decodeParam(p.name, "setting name"), r.body()),
    })),
  ];
}
