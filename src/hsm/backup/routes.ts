/**
 * The full backup / restore routes of the data plane (stable/7.4 backuprestore.json): 202 + `Azure-AsyncOperation`
 * to the job's pending status (`Retry-After: 10` as recorded). Local RBAC at `/`: backup/start, backup/status,
 * restore/start, restore/status (Managed HSM Administrator, Managed HSM Backup User / Restore User).
 */
import { decodeParam, type FeatureRoute as DataPlaneRoute } from "../route.js";
import { action } from "../rbac/roles.js";
import type { BackupService } from "./service.js";

export function backupRoutes(backup: BackupService): DataPlaneRoute[] {
  const route = (
    method: string,
    path: string,
    dataAction: string,
    handle: DataPlaneRoute["handle"],
  ): DataPlaneRoute => ({
    method,
    path,
    authorize: () => ({ dataAction: action(dataAction), scope: "/" }),
    handle,
  });
  const started = (
    r: Parameters<DataPlaneRoute["handle"]>[0],
    kind: "backup" | "restore",
    body: Record<string, unknown>,
  ) => {
    // Recorded (azure-sdk-assets python azure-keyvault-administration test_backup_client
    // …test_full_backup_and_restore[2025-07-01].json): the URL carries no api-version, and the poll is served without.
    return {
      status: 202,
      headers: {
        "azure-asyncoperation": `${r.key.baseUrl}/${kind}/${String(body.jobId)}/pending`,
        "retry-after": "10",
      },
      body,
    };
  };
  return [
    route("POST", "/backup", "backup/start/action", (r) => started(r, "backup", backup.startBackup(r.hsm, r.body()))),
    {
      ...route("GET", "/backup/{jobId}/pending", "backup/status/action", (r, p) => ({
        status: 200,
        body: backup.status(r.hsm, "backup", p.jobId),
      })),
      apiVersionOptional: true,
    },
    route("POST", "/prebackup", "backup/start/action", (r) =>
      started(r, "backup", backup.startPreBackup(r.hsm, r.body(), r.key.apiVersion)),
    ),
    route("PUT", "/prerestore", "restore/start/action", (r) =>
      started(r, "restore", backup.startPreRestore(r.hsm, r.body(), r.key.apiVersion)),
    ),
    route("PUT", "/restore", "restore/start/action", (r) =>
      started(r, "restore", backup.startRestore(r.hsm, r.body())),
    ),
    {
      ...route("GET", "/restore/{jobId}/pending", "restore/status/action", (r, p) => ({
        status: 200,
        body: backup.status(r.hsm, "restore", p.jobId),
      })),
      apiVersionOptional: true,
    },
    route("PUT", "/keys/{name}/restore", "restore/start/action", (r, p) =>
      started(r, "restore", backup.startSelectiveRestore(r.hsm, decodeParam(p.name, "key name"), r.body())),
    ),
  ];
}
