# A user's Python program with Debian's azure-mgmt-authorization and azure-identity (ManagedIdentityCredential):
# assigns a built-in role to a principal at a scope, lists the assignments there, reads the role definition by
# name, deletes the assignment. Prints one JSON line.
import json, sys, uuid
from azure.identity import ManagedIdentityCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.core.exceptions import HttpResponseError

subscription_id, scope, principal_id, role_name = sys.argv[1:5]
client = AuthorizationManagementClient(ManagedIdentityCredential(), subscription_id, api_version="2022-04-01")
out = {}
defs = list(client.role_definitions.list(scope, filter="roleName eq '{}'".format(role_name)))
out["definition"] = {"id": defs[0].id, "name": defs[0].role_name, "actions": defs[0].permissions[0].actions} if defs else None
name = str(uuid.uuid4())
ra = client.role_assignments.create(scope, name, {"role_definition_id": defs[0].id, "principal_id": principal_id, "principal_type": "ServicePrincipal"})
out["created"] = {"id": ra.id, "scope": ra.scope, "principal": ra.principal_id}
try:
    client.role_assignments.create(scope, str(uuid.uuid4()), {"role_definition_id": defs[0].id, "principal_id": principal_id, "principal_type": "ServicePrincipal"})
    out["duplicate"] = "accepted"
except HttpResponseError as e:
    out["duplicate"] = {"status": e.status_code, "code": e.error.code if e.error else None, "message": e.error.message if e.error else str(e)}
out["listed"] = [a.name for a in client.role_assignments.list_for_scope(scope, filter="atScope()") if a.principal_id == principal_id]
client.role_assignments.delete(scope, name)
out["afterDelete"] = [a.name for a in client.role_assignments.list_for_scope(scope, filter="atScope()") if a.principal_id == principal_id]
print(json.dumps(out))
