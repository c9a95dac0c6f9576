/**
 * The security-domain routes of the data plane (stable/7.4/admin/securitydomain.json; az's vendored 7.2 client
 * `vendored_sdks/azure_keyvault_t1/v7_2/key_vault_client.py`). All are served before activation; each needs its
 * local-RBAC data action at scope `/` (Managed HSM Administrator has them).
 */
import type { FeatureRoute as DataPlaneRoute } from "../route.js";
import { action } from "../rbac/roles.js";
import type { SecurityDomainService } from "./service.js";

/** The LRO headers of a started security-domain operation: 202 + Azure-AsyncOperation to its pending status. */
function pendingHeaders(
  r: Parameters<DataPlaneRoute["handle"]>[0],
  kind: "download" | "upload",
): Record<string, string> {
  const v = r.ex.query["api-version"];
  return {
    "azure-asyncoperation": `${r.key.baseUrl}/securitydomain/${kind}/pending${v ? `?api-version=${encodeURIComponent(v)}` : ""}`,
    "retry-after": "1",
  };
}

export function securityDomainRoutes(sd: SecurityDomainService): DataPlaneRoute[] {
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
    beforeActivation: true,
  });
  return [
    route("POST", "/securitydomain/download", "securitydomain/download/action", async (r) => ({
      status: 202,
      headers: pendingHeaders(r, "download"),
      body: await sd.download(r.hsm, r.body()),
    })),
    route("GET", "/securitydomain/download/pending", "securitydomain/download/read", (r) => ({
      status: 200,
      body: sd.status(r.hsm),
    })),
    route("GET", "/securitydomain/upload", "securitydomain/transferkey/read", async (r) => ({
      status: 200,
      body: await sd.transferKey(r.hsm, r.key.apiVersion),
    })),
    route("POST", "/securitydomain/upload", "securitydomain/upload/action", async (r) => ({
      status: 202,
      headers: pendingHeaders(r, "upload"),
      body: await sd.upload(r.hsm, r.body()),
    })),
    route("GET", "/securitydomain/upload/pending", "securitydomain/upload/read", (r) => ({
      status: 200,
      body: sd.status(r.hsm),
    })),
  ];
}
