/**
 * X-DNS-PATH for the client's configured host name (field cases FC-09, FC-15), given with `--host NAME`:
 * - `{hsm}.privatelink.managedhsm.azure.net` (FC-09): the server certificate covers `*.managedhsm.azure.net`, not
 *   the privatelink name, so TLS fails; keep the public name and let DNS redirect it;
 * - `{hsm}.vault.azure.net` / `{hsm}.vaultcore.azure.net` (FC-15): the vault domain; a Managed HSM lives under
 *   `managedhsm.azure.net`, and the name resolves NXDOMAIN (no such vault).
 * The network model names the host (parseManagedHsmHost) and says what the client resolves for it (the DNS view).
 * Without `--host`, the checks assume `https://{hsm}.managedhsm.azure.net` (pass).
 */
import { resolve } from "../../network/dns-view.js";
import { clientVantage, hsmHost } from "../path.js";
import { finding, type Check } from "../types.js";
import { MANAGED_HSM_PUBLIC_ZONE, parseManagedHsmHost } from "../../kernel/azure-names.js";

export const check: Check = {
  id: "client-host-name",
  run(ctx) {
    const want = hsmHost(ctx);
    const host = ctx.clientHost;
    if (host === undefined)
      return finding(this.id, "pass", `no --host given; the checks assume the client uses https://${want}`, {
        values: { expected: want },
      });
    const dns = resolve(ctx.snapshot, clientVantage(ctx), host, "A");
    const answer = `${dns.rcode}${dns.answers.length ? ` ${dns.answers.map((a) => `${a.name} ${a.type} ${a.data}`).join("; ")}` : ""}`;
    const values = { host, expected: want, answer };
    if (host === want) return finding(this.id, "pass", `the client uses https://${want}`, { values });
    const fix = `configure the client with https://${want} (the public name; private DNS redirects it to the private endpoint)`;
    const parsed = parseManagedHsmHost(host);
    if (parsed?.privatelink) {
      return finding(
        this.id,
        "fail",
        `client endpoint uses the privatelink name ${host}; the server certificate covers *.${MANAGED_HSM_PUBLIC_ZONE}, not *.privatelink.${MANAGED_HSM_PUBLIC_ZONE}, so TLS fails (resolves ${answer}); use https://${parsed.hsmName}.${MANAGED_HSM_PUBLIC_ZONE}`,
        {
          code: "HOST_PRIVATELINK_NAME",
          values,
          fix,
        },
      );
    }
    const vault = /^([^.]+)\.(vault|vaultcore)\.azure\.net$/.exec(host);
    if (vault) {
      return finding(
        this.id,
        "fail",
        `client uses ${host}, a Key Vault (vault) name; the Managed HSM endpoint is https://${vault[1]}.${MANAGED_HSM_PUBLIC_ZONE} (${host} resolves ${answer})`,
        {
          code: "HOST_VAULT_DOMAIN",
          values,
          fix,
        },
      );
    }
    return finding(
      this.id,
      "fail",
      `client uses ${host}, which is not the name of managed HSM ${ctx.hsmName} (${want}); it resolves ${answer}`,
      {
        code: parsed ? "HOST_OTHER_HSM" : "HOST_NOT_MANAGED_HSM",
        values,
        fix,
      },
    );
  },
};
