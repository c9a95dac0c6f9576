/**
 * The trusted Microsoft services a managed HSM lets through its firewall when `networkAcls.bypass` is
 * `AzureServices`: a fixed allow-list of multi-tenant services acting with their own identity, kept separate from the
 * Key Vault (vault) list, and never inferred from a caller's address (field-cases.md FC-20). Entries are resource
 * provider namespaces of the services Microsoft documents as trusted for Managed HSM (customer-managed keys for
 * Storage, SQL, PostgreSQL/MySQL flexible servers, managed disks, Cosmos DB, Data Explorer, Databricks, Backup,
 * Event Hubs, Service Bus); "Managed HSM – Allow trusted services" in the Managed HSM network security docs.
 */
export const MANAGED_HSM_TRUSTED_SERVICES = [
  "Microsoft.Storage",
  "Microsoft.Sql",
  "Microsoft.DBforPostgreSQL",
  "Microsoft.DBforMySQL",
  "Microsoft.Compute",
  "Microsoft.DocumentDB",
  "Microsoft.Kusto",
  "Microsoft.Databricks",
  "Microsoft.RecoveryServices",
  "Microsoft.EventHub",
  "Microsoft.ServiceBus",
] as const;

/** The canonical namespace when `namespace` (any casing) is a trusted service for Managed HSM, else undefined. */
export function trustedServiceNamespace(namespace: string | undefined): string | undefined {
  if (!namespace) return undefined;
  return MANAGED_HSM_TRUSTED_SERVICES.find((t) => t.toLowerCase() === namespace.toLowerCase());
}
