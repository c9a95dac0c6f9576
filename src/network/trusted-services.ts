/**
 * The trusted Microsoft services a managed HSM lets through its firewall when `networkAcls.bypass` is
 * `AzureServices`, never inferred from a caller's address (field-cases.md FC-20).
 *
 * Managed HSM has no list of its own: its docs send readers to the Key Vault trusted-services table
 * (MicrosoftDocs/azure-security-docs articles/key-vault/managed-hsm/private-link.md and configure-network-security.md →
 * articles/key-vault/general/overview-vnet-service-endpoints.md#trusted-services, "the complete allowlist … Services
 * that don't appear in this table aren't bypassed by the option"). Each entry below is one resource provider
 * namespace with the table's rows it stands for; the namespace mapping is hsmlink's (the table names services, not
 * namespaces). Rows without a resource provider (Azure Information Protection, Exchange Online, SharePoint Online,
 * Microsoft 365 Customer Key, Power Platform) cannot be named by `--trusted-service` and are left out. Azure Cosmos
 * DB (Microsoft.DocumentDB) and Azure Data Explorer (Microsoft.Kusto) are not in the table, so they are not trusted.
 */
export const KEY_VAULT_TRUSTED_SERVICES: readonly {
  readonly namespace: string;
  readonly services: readonly string[];
}[] = [
  { namespace: "Microsoft.Storage", services: ["Azure Storage"] },
  {
    namespace: "Microsoft.Sql",
    services: ["Azure SQL Database (Transparent Data Encryption)", "Azure Synapse Analytics dedicated SQL pools (TDE)"],
  },
  { namespace: "Microsoft.DBforPostgreSQL", services: ["Azure Database for PostgreSQL single and flexible server"] },
  { namespace: "Microsoft.DBforMySQL", services: ["Azure Database for MySQL single and flexible server"] },
  {
    namespace: "Microsoft.Compute",
    services: [
      "Azure Disk Storage (disk encryption sets)",
      "Azure Disk Encryption",
      "Virtual Machines deployment service",
    ],
  },
  { namespace: "Microsoft.Databricks", services: ["Azure Databricks"] },
  { namespace: "Microsoft.RecoveryServices", services: ["Azure Backup"] },
  { namespace: "Microsoft.EventHub", services: ["Azure Event Hubs"] },
  { namespace: "Microsoft.ServiceBus", services: ["Azure Service Bus"] },
  { namespace: "Microsoft.Synapse", services: ["Azure Synapse Analytics"] },
  { namespace: "Microsoft.ContainerRegistry", services: ["Azure Container Registry"] },
  { namespace: "Microsoft.Batch", services: ["Azure Batch"] },
  { namespace: "Microsoft.BotService", services: ["Azure Bot Service"] },
  { namespace: "Microsoft.DataLakeStore", services: ["Azure Data Lake Store"] },
  { namespace: "Microsoft.ImportExport", services: ["Azure Import/Export"] },
  { namespace: "Microsoft.MachineLearningServices", services: ["Azure Machine Learning"] },
  { namespace: "Microsoft.OperationalInsights", services: ["Azure Monitor (Log Analytics dedicated clusters)"] },
  { namespace: "Microsoft.NetApp", services: ["Azure NetApp Files"] },
  { namespace: "Microsoft.DataFactory", services: ["Azure Data Factory"] },
  { namespace: "Microsoft.Purview", services: ["Microsoft Purview"] },
  { namespace: "Microsoft.ApiManagement", services: ["Azure API Management"] },
  { namespace: "Microsoft.Web", services: ["Azure App Service"] },
  {
    namespace: "Microsoft.Network",
    services: ["Azure Application Gateway", "Azure Firewall Premium", "Azure ExpressRoute (MACsec)"],
  },
  { namespace: "Microsoft.Cdn", services: ["Azure Front Door", "Azure CDN"] },
  { namespace: "Microsoft.PolicyInsights", services: ["Azure Policy (scan)"] },
  { namespace: "Microsoft.Resources", services: ["Azure Resource Manager template deployment"] },
  { namespace: "Microsoft.AgFoodPlatform", services: ["Azure Data Manager for Agriculture"] },
];

/** The namespaces of {@link KEY_VAULT_TRUSTED_SERVICES}, in table order. */
export const MANAGED_HSM_TRUSTED_SERVICES: readonly string[] = KEY_VAULT_TRUSTED_SERVICES.map((t) => t.namespace);

/** The canonical namespace when `namespace` (any casing) is a trusted service, else undefined. */
export function trustedServiceNamespace(namespace: string | undefined): string | undefined {
  if (!namespace) return undefined;
  return MANAGED_HSM_TRUSTED_SERVICES.find((t) => t.toLowerCase() === namespace.toLowerCase());
}
