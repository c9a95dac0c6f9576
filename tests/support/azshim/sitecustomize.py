# Test-support shim for Debian bookworm's azure-cli 2.45.0 + python3-azure 20230112 packaging gaps.
# Loaded only for az in the tests, through PYTHONPATH; it changes nothing on disk and is not part of hsmlink.
# (Shared reference: clients.md appendix A and control-plane.md appendix B; upstream Azure/azure-cli #26830, #26835.)
#  1. az's 'latest' profile wants azure.mgmt.network.v2022_01_01 but Debian ships v2022_07_01 only, so every
#     `az network ...` command dies with "'NoneType' object has no attribute 'standard_medium'".
#  2. `az keyvault key ...` reads help text, models and KeyVaultIdentifier from the track-1 SDK azure.keyvault.v7_0,
#     which Debian does not package. Commands that execute through track-1 (key list/delete/..., secret *) stay
#     broken; the tests use `az rest` for those.
#  3. `az keyvault security-domain ...` runs on az's own vendored track-1 client (vendored_sdks/azure_keyvault_t1), which
#     imports its helper modules as `azure.keyvault.<module>` (the track-1 package Debian does not ship) and calls
#     `inspect.getargspec` (removed in Python 3.11). The shim serves those modules from the vendored copy and maps
#     getargspec to getfullargspec. The security-domain crypto is az's, unchanged.
#  4. az's profile asks the administration SDK (`keyvault backup/restore`, `keyvault role`) for API version
#     7.2-preview, which Debian's azure-keyvault-administration 4.3.0b2 no longer has (it has 7.2, 7.3,
#     7.4-preview.1): the shim asks for 7.2, the same wire contract GA'd.
#  5. `az role assignment create/list/delete` read `client.config.subscription_id`, but Debian's azure-mgmt-authorization
#     3.0.0 keeps it in `_config` ("'RoleAssignmentsOperations' object has no attribute 'config'"; fixed upstream in
#     az 2.46). The shim gives every authorization operations class a read-only `config` that returns `_config`.
import importlib, importlib.abc, importlib.machinery, importlib.util, os, sys, types

_NET_MAP = {"azure.mgmt.network.v2022_01_01.operations": "azure.mgmt.network.operations",
            "azure.mgmt.network.v2022_01_01": "azure.mgmt.network.v2022_07_01"}
_DOC_STUB = "azure.keyvault.v7_0"
_KV_ID = "azure.keyvault.key_vault_id"


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, real):
        self.real = real

    def create_module(self, spec):
        return importlib.import_module(self.real)

    def exec_module(self, module):
        pass


class _AnyMethod(type):
    def __getattr__(cls, name):
        def method(*a, **k):
            """Stand-in docstring (track-1 azure-keyvault SDK is not installed)."""
            raise NotImplementedError(name)
        return method


class _StubLoader(importlib.abc.Loader):
    def create_module(self, spec):
        m = types.ModuleType(spec.name)
        m.__path__ = []
        m.KeyVaultClient = _AnyMethod("KeyVaultClient", (), {})
        # keyvault_exception_handler does isinstance(ex, KeyVaultErrorException); None there turns every HTTP
        # error into "TypeError: isinstance() arg 2 must be a type".
        m.KeyVaultErrorException = type("KeyVaultErrorException", (Exception,), {})
        return m

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == _KV_ID:  # KeyVaultIdentifier: az's vendored copy of this one file, loaded standalone
            kv = importlib.util.find_spec("azure.cli.command_modules.keyvault")
            f = os.path.join(kv.submodule_search_locations[0], "vendored_sdks", "azure_keyvault_t1", "key_vault_id.py")
            return importlib.util.spec_from_file_location(fullname, f)
        if fullname == _DOC_STUB or fullname.startswith(_DOC_STUB + "."):
            return importlib.machinery.ModuleSpec(fullname, _StubLoader(), is_package=True)
        for alias, real in _NET_MAP.items():
            if fullname == alias or fullname.startswith(alias + "."):
                return importlib.machinery.ModuleSpec(fullname, _AliasLoader(real + fullname[len(alias):]), is_package=True)
        return None


class _PatchNetworkClient(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "azure.mgmt.network._client":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        orig = spec.loader.exec_module

        def exec_module(module):
            orig(module)
            C = module.NetworkManagementClient
            _models = C.models.__func__

            def models(cls, api_version=C.DEFAULT_API_VERSION):
                return _models(cls, "2022-07-01" if api_version == "2022-01-01" else api_version)
            C.models = classmethod(models)
        spec.loader.exec_module = exec_module
        return spec


class _PatchAuthorizationOperations(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if not (name.startswith("azure.mgmt.authorization.v") and name.endswith("_operations") and ".operations." in name):
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None:
            return None
        orig = spec.loader.exec_module

        def exec_module(module):
            orig(module)
            for attr in dir(module):
                cls = getattr(module, attr)
                if isinstance(cls, type) and attr.endswith("Operations") and not hasattr(cls, "config"):
                    cls.config = property(lambda self: self._config)
        spec.loader.exec_module = exec_module
        return spec


_v = types.ModuleType("azure.mgmt.network._validation")


class api_version_validation:  # pass-through: Debian's 23.0.0b1 table lacks 2022-01-01
    def __init__(self, **kw):
        pass

    def __call__(self, func):
        return func


_v.api_version_validation = api_version_validation
sys.modules["azure.mgmt.network._validation"] = _v
sys.meta_path.insert(0, _Finder())
sys.meta_path.insert(0, _PatchNetworkClient())


_T1 = ("http_bearer_challenge_cache", "http_challenge", "http_message_security", "_internal", "models", "http_bearer_challenge")
_T1_HOME = "azure.cli.command_modules.keyvault.vendored_sdks.azure_keyvault_t1."


class _T1Loader(_AliasLoader):
    def create_module(self, spec):
        m = importlib.import_module(self.real)
        if self.real.endswith(".models") and not hasattr(m, "JsonWebKey"):
            # read only by message-level protection, which Managed HSM never negotiates; the vendored models lack it
            m.JsonWebKey = type("JsonWebKey", (), {})
        return m


class _T1Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        parts = fullname.split(".")
        if len(parts) >= 3 and parts[:2] == ["azure", "keyvault"] and parts[2] in _T1:
            return importlib.machinery.ModuleSpec(fullname, _T1Loader(_T1_HOME + ".".join(parts[2:])), is_package=True)
        return None


sys.meta_path.insert(0, _T1Finder())
import inspect as _inspect  # noqa: E402
if not hasattr(_inspect, "getargspec"):
    _inspect.getargspec = _inspect.getfullargspec


class _PatchAdminClientBase(importlib.abc.MetaPathFinder):
    _NAME = "azure.keyvault.administration._internal.client_base"

    def find_spec(self, name, path=None, target=None):
        if name != self._NAME:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        orig = spec.loader.exec_module

        def exec_module(module):
            orig(module)
            base = module.KeyVaultClientBase
            init = base.__init__

            def __init__(self, vault_url, credential, **kwargs):
                if kwargs.get("api_version") == "7.2-preview":
                    kwargs["api_version"] = "7.2"
                init(self, vault_url, credential, **kwargs)
            base.__init__ = __init__
        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _PatchAdminClientBase())
sys.meta_path.insert(0, _PatchAuthorizationOperations())
