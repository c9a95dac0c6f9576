/**
 * The two Blob service REST calls a full backup needs, made the way the HSM makes them to a storage account with a
 * SAS token (Blob service REST API "Put Blob", "Get Blob"), path-style against the Azurite endpoint:
 * `http://{endpoint}/{account}/{container}/{blob}?{sas}`. Azurite checks the SAS signature and permissions.
 */
import { request } from "node:http";
import type { BlobEndpoint } from "./blob-storage.js";

/** A storage error: the HTTP status and the service's error code (`<Code>` of its XML body). */
export class BlobError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The container a SAS addresses: storage account, container, and the SAS query string (no leading `?`). */
export interface ContainerTarget {
  account: string;
  container: string;
  sas: string;
}

const STORAGE_VERSION = "2021-08-06";

function call(
  endpoint: BlobEndpoint,
  method: string,
  t: ContainerTarget,
  blob: string,
  body?: Buffer,
): Promise<Buffer> {
  const path = `/${t.account}/${t.container}/${blob.split("/").map(encodeURIComponent).join("/")}?${t.sas}`;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: endpoint.host,
        port: endpoint.port,
        method,
        path,
        headers: {
          "x-ms-version": STORAGE_VERSION,
          "x-ms-date": new Date().toUTCString(),
          ...(body
            ? {
                "x-ms-blob-type": "BlockBlob",
                "content-type": "application/octet-stream",
                "content-length": String(body.length),
              }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const data = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(data);
          const text = data.toString("utf8");
          const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? String(res.headers["x-ms-error-code"] ?? status);
          const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1]?.split("\n")[0] ?? `HTTP ${status}`;
          reject(new BlobError(status, code, message));
        });
        res.on("error", reject);
      },
    );
    req.on("error", (e) =>
      reject(
        new BlobError(
          0,
          "StorageUnreachable",
          `the blob endpoint ${endpoint.host}:${endpoint.port} is unreachable: ${e.message}`,
        ),
      ),
    );
    req.setTimeout(30_000, () => req.destroy(new Error("timed out")));
    req.end(body);
  });
}

/** Put Blob (block blob, whole content). @throws BlobError */
export function putBlob(endpoint: BlobEndpoint, t: ContainerTarget, blob: string, content: Buffer): Promise<void> {
  return call(endpoint, "PUT", t, blob, content).then(() => undefined);
}

/** Delete Blob. @throws BlobError (403 for a SAS without delete) */
export function deleteBlob(endpoint: BlobEndpoint, t: ContainerTarget, blob: string): Promise<void> {
  return call(endpoint, "DELETE", t, blob).then(() => undefined);
}

/** Get Blob. @throws BlobError (404 BlobNotFound / ContainerNotFound, 403 for a SAS without read) */
export function getBlob(endpoint: BlobEndpoint, t: ContainerTarget, blob: string): Promise<Buffer> {
  return call(endpoint, "GET", t, blob);
}
