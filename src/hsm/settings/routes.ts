/**
 * The settings routes. Local RBAC (hsmlink's choice — the service's data actions for settings are not published):
 * reading needs `roleDefinitions/read/action` (every built-in role), changing needs `roleAssignments/write/action`
 * (Managed HSM Administrator, Crypto Officer), at scope `/`.
 */
import type { FeatureRoute as DataPlaneRoute } from "../route.js";
import { action } from "../rbac/roles.js";
import type { SettingsService } from "./service.js";

const re = (s: string) => new RegExp(`^${s}$`, "i");

export function settingsRoutes(settings: SettingsService): DataPlaneRoute[] {
  const route = (method: string, path: string, dataAction: string, handle: DataPlaneRoute["handle"]): DataPlaneRoute => ({ method, path: re(path), authorize: () => ({ dataAction: action(dataAction), scope: "/" }), handle });
  return [
    route("GET", "/settings", "roleDefinitions/read/action", (r) => ({ status: 200, body: settings.list(r.hsm) })),
    route("GET", "/settings/([^/]+)", "roleDefinitions/read/action", (r, m) => ({ status: 200, body: settings.get(r.hsm, decodeURIComponent(m[1])) })),
    route("PATCH", "/settings/([^/]+)", "roleAssignments/write/action", (r, m) => ({ status: 200, body: settings.update(r.hsm, decodeURIComponent(m[1]), r.body()) })),
  ];
}
