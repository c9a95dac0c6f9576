/**
 * Child-process client for tests/clients/backup-restore.test.ts: the unmodified @azure/storage-blob against
 * `https://{account}.blob.core.windows.net` through hsmlink's gateway (HTTPS_PROXY, NODE_EXTRA_CA_CERTS of
 * `hsmlink env`), with Azurite's well-known devstoreaccount1 key.
 * Usage: storage-blob.ts setup <container> | list <container> <prefix>; prints one JSON line.
 */
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
} from "@azure/storage-blob";

const ACCOUNT = "devstoreaccount1";
// Azurite's documented well-known development key (not a secret).
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const [scenario, containerName, prefix] = process.argv.slice(2);
const credential = new StorageSharedKeyCredential(ACCOUNT, KEY);
const service = new BlobServiceClient(`https://${ACCOUNT}.blob.core.windows.net`, credential);
const container = service.getContainerClient(containerName);

const sas = (permissions: string, name = containerName) =>
  generateBlobSASQueryParameters(
    {
      containerName: name,
      permissions: ContainerSASPermissions.parse(permissions),
      startsOn: new Date(Date.now() - 60_000),
      expiresOn: new Date(Date.now() + 3_600_000),
    },
    credential,
  ).toString();

async function main(): Promise<unknown> {
  if (scenario === "setup") {
    await container.create();
    // sasMissing: a valid SAS for a container that does not exist.
    return {
      url: container.url,
      sasWrite: sas("racwdl"),
      sasReadOnly: sas("rl"),
      sasMissing: sas("racwdl", "nosuchcontainer"),
    };
  }
  if (scenario === "list") {
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix })) names.push(b.name);
    const samples: string[] = [];
    for (const n of names) samples.push((await container.getBlobClient(n).downloadToBuffer()).toString("latin1"));
    return { names, samples };
  }
  throw new Error(`unknown scenario ${scenario}`);
}

main().then(
  (r) => process.stdout.write(JSON.stringify(r) + "\n"),
  (e: Error & { statusCode?: number; code?: string }) => {
    process.stdout.write(
      JSON.stringify({ error: { message: e.message.slice(0, 500), statusCode: e.statusCode, code: e.code } }) + "\n",
    );
    process.exit(1);
  },
);
