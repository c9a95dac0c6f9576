/**
 * The full backup / restore routes of the data plane (stable/7.4 backuprestore.json): 202 + `Azure-AsyncOperation`
 * to the job's pending status (`Retry-After: 10` as recorded). Local RBAC at `/`: backup/start, backup/status,
 * restore/start, restore/status (Managed HSM Administrator, Managed HSM Backup).
 */
import type { FeatureRoute as DataPlaneRoute } from "../route.js";
import { action } from "../rbac/roles.js";
import type { BackupService } from "./service.js";

const re = (s: string) => new RegExp(`^${s}$`, "i");

export function backupRoutes(backup: BackupService): DataPlaneRoute[] {
  const route = (method: string, path: string, dataAction: string, handle: DataPlaneRoute["handle"]): DataPlaneRoute => ({
    method,
    path: re(path),
    authorize: () => ({ dataAction: action(dataAction), scope: "/" }),
    handle,
  });
  const started = (r: Parameters<DataPlaneRoute["handle"]>[0], kind: "backup" | "restore", body: Record<string, unknown>) => {
    const v = r.ex.query["api-version"];
    return {
      status: 202,
      headers: { "azure-asyncoperation": `${r.key.baseUrl}/${kind}/${String(body.jobId)}/pending${v ? `?api-version=${encodeURIComponent(v)}` : ""}`, "retry-after": "10" },
      body,
    };
  };
  return [
    route("POST", "/backup", "backup/start/action", (r) => started(r, "backup", backup.startBackup(r.hsm, r.body()))),
    route("GET", "/backup/([0-9a-fA-F]{1,64})/pending", "backup/status/action", (r, m) => ({ status: 200, body: backup.status(r.hsm, "backup", m[1]) })),
    route("PUT", "/restore", "restore/start/action", (r) => started(r, "restore", backup.startRestore(r.hsm, r.body()))),
    route("GET", "/restore/([0-9a-fA-F]{1,64})/pending", "restore/status/action", (r, m) => ({ status: 200, body: backup.status(r.hsm, "restore", m[1]) })),
    route("PUT", "/keys/([^/]+)/restore", "restore/start/action", (r, m) => started(r, "restore", backup.startSelectiveRestore(r.hsm, decodeURIComponent(m[1]), r.body()))),
  ];
}
