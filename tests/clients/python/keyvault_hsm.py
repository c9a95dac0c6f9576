"""Debian's Python SDKs (azure-keyvault-keys 4.8.0b3, azure-keyvault-administration 4.3.0b2, azure-identity) against
hsmlink's managed HSM data plane, unmodified: https://{hsm}.managedhsm.azure.net through HTTPS_PROXY, the CA from
REQUESTS_CA_BUNDLE, challenge-resource verification on (default).

Usage: /usr/bin/python3 keyvault_hsm.py <hsm-name> [tenant app-id secret]  → one JSON line on stdout.
Without the service principal arguments the credential is ManagedIdentityCredential (MSI_ENDPOINT).
"""
import json
import sys
import uuid

from azure.identity import ClientSecretCredential, ManagedIdentityCredential
from azure.keyvault.administration import KeyVaultAccessControlClient, KeyVaultRoleScope
from azure.keyvault.keys import KeyClient
from azure.keyvault.keys.crypto import CryptographyClient, EncryptionAlgorithm

out = {}


def err(e):
    return {"type": type(e).__name__, "status": getattr(e, "status_code", None), "code": getattr(getattr(e, "error", None), "code", None), "message": str(e)[:300]}


def main():
    hsm = sys.argv[1]
    url = "https://%s.managedhsm.azure.net" % hsm
    cred = ClientSecretCredential(sys.argv[2], sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else ManagedIdentityCredential()

    keys = KeyClient(url, cred)
    key = keys.create_rsa_key("py-rsa", size=2048, hardware_protected=True)
    out["key"] = {"kty": str(key.key_type), "kid": key.id, "version": key.properties.version}
    out["got"] = keys.get_key("py-rsa").id == key.id
    oct_key = keys.create_oct_key("py-oct", size=256, hardware_protected=True)
    crypto = CryptographyClient(oct_key, cred)
    enc = crypto.encrypt(EncryptionAlgorithm.a256_gcm, b"python plaintext")
    dec = crypto.decrypt(EncryptionAlgorithm.a256_gcm, enc.ciphertext, iv=enc.iv, authentication_tag=enc.tag)
    out["gcm"] = dec.plaintext.decode()
    out["names"] = sorted(p.name for p in keys.list_properties_of_keys())
    out["random"] = len(keys.get_random_bytes(16))

    rbac = KeyVaultAccessControlClient(url, cred)
    defs = list(rbac.list_role_definitions(KeyVaultRoleScope.GLOBAL))
    out["definitions"] = sorted(d.role_name for d in defs)
    user = next(d for d in defs if d.role_name == "Managed HSM Crypto User")
    principal = str(uuid.uuid4())
    created = rbac.create_role_assignment(KeyVaultRoleScope.GLOBAL, user.id, principal)
    out["created"] = {"scope": created.properties.scope, "role": created.properties.role_definition_id, "principal": created.properties.principal_id, "name": created.name}
    keyscoped = rbac.create_role_assignment("/keys/py-rsa", user.id, principal)
    out["keyScoped"] = {"scope": keyscoped.properties.scope, "id": keyscoped.role_assignment_id}
    listed = [a.name for a in rbac.list_role_assignments(KeyVaultRoleScope.GLOBAL)]
    out["listedGlobal"] = created.name in listed and keyscoped.name not in listed
    out["listedKey"] = keyscoped.name in [a.name for a in rbac.list_role_assignments("/keys/py-rsa")]
    rbac.delete_role_assignment(KeyVaultRoleScope.GLOBAL, created.name)
    rbac.delete_role_assignment("/keys/py-rsa", keyscoped.name)
    out["afterDelete"] = created.name in [a.name for a in rbac.list_role_assignments(KeyVaultRoleScope.GLOBAL)]
    try:
        rbac.get_role_assignment(KeyVaultRoleScope.GLOBAL, created.name)
        out["getDeleted"] = None
    except Exception as e:  # noqa: BLE001 - recording the error for the test
        out["getDeleted"] = err(e)
    # Refusals recorded on a real managed HSM (Azure/azure-sdk-assets Administration SessionRecords and the
    # keyvault-admin JS recordings): missing definition, built-in definition delete, non-GUID definition name.
    for key, call in (
        ("getMissingDefinition", lambda: rbac.get_role_definition(KeyVaultRoleScope.GLOBAL, str(uuid.uuid4()))),
        ("deleteBuiltInDefinition", lambda: rbac.delete_role_definition(KeyVaultRoleScope.GLOBAL, user.name)),
        ("putNonGuidDefinition", lambda: rbac.set_role_definition(KeyVaultRoleScope.GLOBAL, name="foo unique value", role_name="foo", permissions=[])),
    ):
        try:
            call()
            out[key] = None
        except Exception as e:  # noqa: BLE001 - recording the error for the test
            out[key] = err(e)


try:
    main()
    out["ok"] = True
except Exception as e:  # noqa: BLE001
    out["ok"] = False
    out["error"] = err(e)
print(json.dumps(out))
