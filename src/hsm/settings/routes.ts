/**
 * The settings routes. Local RBAC at scope `/`: reading needs `settings/read/action`, changing needs
 * `settings/write/action` — the two data actions a real managed HSM lists in the Managed HSM Administrator role
 * (and in no other built-in role; recording cited in src/hsm/rbac/roles.ts). Which action guards which route is
 * hsmlink's reading of their names.
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
    route("GET", "/settings", "settings/read/action", (r) => ({ status: 200, body: settings.list(r.hsm) })),
    route("GET", "/settings/{name}", "settings/read/action", (r, p) => ({
      status: 200,
      body: settings.get(r.hsm, decodeParam(p.name, "setting name")),
    })),
    route("PATCH", "/settings/{name}", "settings/write/action", (r, p) => ({
      status: 200,
      body: settings.update(r.hsm, decodeParam(p.name, "setting name"), r.body()),
    })),
  ];
}
