"""Debian's azure-keyvault-administration 4.3.0b2 (KeyVaultBackupClient, KeyVaultSettingsClient), unmodified, against
hsmlink's managed HSM with the `hsmlink env` environment (HTTPS_PROXY, REQUESTS_CA_BUNDLE, MSI_ENDPOINT).

Usage: /usr/bin/python3 backup_settings.py <scenario> <hsm> [container-url sas [folder-url [key]]] → one JSON line.
Scenarios: settings | backup | restore | restore-key
"""
import json
import sys

from azure.identity import ManagedIdentityCredential
from azure.keyvault.administration import KeyVaultBackupClient, KeyVaultSettingsClient


def err(e):
    return {"type": type(e).__name__, "status": getattr(e, "status_code", None), "message": str(e)[:300]}


def main():
    scenario, hsm = sys.argv[1], sys.argv[2]
    url = "https://%s.managedhsm.azure.net" % hsm
    cred = ManagedIdentityCredential()
    out = {}
    if scenario == "settings":
        client = KeyVaultSettingsClient(url, cred)
        out["list"] = [{"name": s.name, "value": s.value, "type": s.setting_type if hasattr(s, "setting_type") else s.type} for s in client.list_settings()]
        out["get"] = client.get_setting("AllowKeyManagementOperationsThroughARM").value
        out["updated"] = client.update_setting("AllowKeyManagementOperationsThroughARM", "true").value
        out["after"] = client.get_setting("AllowKeyManagementOperationsThroughARM").value
        try:
            client.update_setting("AllowKeyManagementOperationsThroughARM", "maybe")
            out["bad"] = None
        except Exception as e:  # noqa: BLE001 - the error is the result
            out["bad"] = err(e)
    else:
        client = KeyVaultBackupClient(url, cred)
        container, sas = sys.argv[3], sys.argv[4]
        if scenario == "backup":
            result = client.begin_backup(container, sas).result()
            out["folderUrl"] = result.folder_url
        elif scenario == "restore":
            client.begin_restore(sys.argv[5], sas).wait()
            out["restored"] = True
        elif scenario == "restore-key":
            client.begin_restore(sys.argv[5], sas, key_name=sys.argv[6]).wait()
            out["restored"] = True
    out["ok"] = True
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - report, exit non-zero
        print(json.dumps({"ok": False, "error": err(e)}))
        sys.exit(1)
