/**
 * Sign-in surfaces: Entra ID on `login.microsoftonline.com` (instance discovery, OIDC metadata, JWKS, the v1 and
 * v2 token endpoints with client credentials), the IMDS managed identity endpoint on `169.254.169.254`, and the
 * App Service / Cloud Shell style `MSI_ENDPOINT` (clients.md A2, B1; Microsoft identity platform docs
 * "OAuth 2.0 client credentials flow" and "How to use managed identities … to acquire an access token").
 */
import type { Exchange, ExchangeResult } from "../kernel/exchange.js";
import { parseFormBody } from "../kernel/exchange.js";
import type { IdentityService, Principal } from "./identity.js";
import { resourceFromScope } from "./identity.js";
import type { Clock } from "../kernel/clock.js";
import { newGuid } from "../kernel/ids.js";

/** An AADSTS error as Entra ID renders it on the token endpoint. */
function aadError(status: number, error: string, aadsts: number, description: string, clock: Clock): ExchangeResult {
  const trace = newGuid();
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${aadsts}: ${description} Trace ID: ${trace} Correlation ID: ${newGuid()} Timestamp: ${new Date(clock.now()).toISOString().replace("T", " ").replace("Z", "Z")}`,
      error_codes: [aadsts],
      timestamp: new Date(clock.now()).toISOString(),
      trace_id: trace,
      correlation_id: newGuid(),
    },
  };
}

export function entraSurface(identity: IdentityService, clock: Clock, baseUrlOf: (ex: Exchange) => string) {
  const tenant = identity.tenantId;

  function oidc(base: string, t: string, v2: boolean) {
    const p = v2 ? "/v2.0" : "";
    return {
      token_endpoint: `${base}/${t}/oauth2${p}/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${base}/${t}/discovery${p}/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: v2 ? `https://login.microsoftonline.com/${tenant}/v2.0` : `https://sts.windows.net/${tenant}/`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
      authorization_endpoint: `${base}/${t}/oauth2${p}/authorize`,
      device_authorization_endpoint: `${base}/${t}/oauth2${p}/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/${t}/oauth2${p}/logout`,
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "oid", "appid"],
      tenant_region_scope: "EU",
      cloud_instance_name: "microsoftonline.com",
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: "graph.microsoft.com",
      rbac_url: "https://pas.windows.net",
    };
  }

  async function tokenResponse(
    principal: Principal,
    resource: string,
    v2: boolean,
    scope?: string,
  ): Promise<ExchangeResult> {
    const { token, expiresIn, expiresOn } = await identity.issue(principal, resource);
    const body: Record<string, unknown> = v2
      ? { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token, scope }
      : {
          token_type: "Bearer",
          expires_in: String(expiresIn),
          ext_expires_in: String(expiresIn),
          expires_on: String(expiresOn),
          not_before: String(expiresOn - expiresIn),
          resource,
          access_token: token,
        };
    return { status: 200, headers: { "Cache-Control": "no-store, no-cache", Pragma: "no-cache" }, body };
  }

  return async function handleEntra(ex: Exchange): Promise<ExchangeResult> {
    const base = baseUrlOf(ex);
    const parts = ex.path.split("/").filter(Boolean);
    const t = parts[0] ?? "";
    const tenantOk = (x: string) =>
      ["common", "organizations", tenant.toLowerCase(), "hsmlink.onmicrosoft.com"].includes(x.toLowerCase());

    if (ex.method === "GET" && t === "common" && parts[1] === "discovery" && parts[2] === "instance") {
      return {
        status: 200,
        body: {
          tenant_discovery_endpoint: `${base}/${tenant}/v2.0/.well-known/openid-configuration`,
          "api-version": "1.1",
          metadata: [
            {
              preferred_network: "login.microsoftonline.com",
              preferred_cache: "login.windows.net",
              aliases: ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"],
            },
          ],
        },
      };
    }
    if (!tenantOk(t))
      return aadError(
        400,
        "invalid_request",
        90002,
        `Tenant '${t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        clock,
      );

    const rest = parts.slice(1).join("/").toLowerCase();
    if (
      ex.method === "GET" &&
      (rest === "v2.0/.well-known/openid-configuration" || rest === ".well-known/openid-configuration")
    ) {
      return { status: 200, body: oidc(base, tenant, rest.startsWith("v2.0")) };
    }
    if (ex.method === "GET" && (rest === "discovery/v2.0/keys" || rest === "discovery/keys")) {
      return { status: 200, body: { keys: [{ ...identity.jwk, x5t: identity.jwk.kid }] } };
    }
    if (ex.method === "POST" && (rest === "oauth2/v2.0/token" || rest === "oauth2/token")) {
      const v2 = rest.startsWith("oauth2/v2.0");
      const form = parseFormBody(ex);
      if (form.grant_type !== "client_credentials") {
        return aadError(
          400,
          "unsupported_grant_type",
          70003,
          `The app requested an unsupported grant type '${form.grant_type ?? ""}'. hsmlink issues tokens for client credentials (service principals) and managed identities.`,
          clock,
        );
      }
      const clientId = form.client_id ?? "";
      if (!identity.byAppId(clientId)) {
        return aadError(
          400,
          "unauthorized_client",
          700016,
          `Application with identifier '${clientId}' was not found in the directory '${tenant}'. Create it with 'hsmlink identity create'.`,
          clock,
        );
      }
      const principal = identity.authenticateClient(clientId, form.client_secret ?? "");
      if (!principal)
        return aadError(
          401,
          "invalid_client",
          7000215,
          "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '" +
            clientId +
            "'.",
          clock,
        );
      const resource = v2 ? resourceFromScope(form.scope ?? "") : (form.resource ?? "");
      if (!resource)
        return aadError(
          400,
          "invalid_request",
          900144,
          "The request body must contain the following parameter: 'scope'.",
          clock,
        );
      return tokenResponse(principal, resource, v2, form.scope);
    }
    return {
      status: 404,
      body: { error: "not_found", error_description: `hsmlink: no Entra ID endpoint at ${ex.method} ${ex.path}` },
    };
  };
}

/**
 * Managed identity token endpoints: IMDS (`GET /metadata/identity/oauth2/token`, header `Metadata: true`) and
 * `MSI_ENDPOINT` (`POST` form `resource=…`, or `GET ?resource=…`). Both hand out tokens of the default identity.
 * Outside the gateway (which checks the proxy password for IMDS) a request must carry the instance secret as App
 * Service's managed identity endpoints want it: header `X-IDENTITY-HEADER` (IDENTITY_HEADER, api-version
 * 2019-08-01; @azure/identity, azure-identity) or `secret` (MSI_SECRET, 2017-09-01; az 2.45 via msrestazure when
 * APPSETTING_WEBSITE_SITE_NAME is set, azure-identity's Azure ML source) — "Managed identities for App Service",
 * REST endpoint reference.
 */
export function managedIdentitySurface(
  identity: IdentityService,
  opts: { secretMatches: (given: string | undefined) => boolean },
) {
  return async function handleManagedIdentity(ex: Exchange): Promise<ExchangeResult> {
    if (
      ex.conn.listener !== "gateway" &&
      !opts.secretMatches(ex.headers["x-identity-header"]) &&
      !opts.secretMatches(ex.headers["secret"])
    ) {
      // hsmlink's choice: App Service documents the header, not the answer without it; 401 with an OAuth error.
      return {
        status: 401,
        body: {
          error: "unauthorized_client",
          error_description:
            'hsmlink: this managed identity endpoint needs the instance secret in the X-IDENTITY-HEADER (IDENTITY_HEADER) or secret (MSI_SECRET) header; eval "$(hsmlink env)" sets both',
        },
      };
    }
    const path = ex.path.toLowerCase();
    const isImds = path === "/metadata/identity/oauth2/token";
    const isMsi = path === "/msi/token" || path === "/msi/token/";
    if (!isImds && !isMsi) {
      return {
        status: 404,
        body: {
          error: "not_found",
          error_description: `hsmlink: no managed identity endpoint at ${ex.method} ${ex.path}`,
        },
      };
    }
    if (isImds && String(ex.headers["metadata"]).toLowerCase() !== "true") {
      return {
        status: 400,
        body: { error: "invalid_request", error_description: "Required metadata header not specified" },
      };
    }
    const form = ex.method === "POST" ? parseFormBody(ex) : {};
    const resource =
      form.resource ?? ex.query["resource"] ?? (ex.query["scope"] ? resourceFromScope(ex.query["scope"]) : undefined);
    if (!resource)
      return {
        status: 400,
        body: {
          error: "invalid_resource",
          error_description: "AADSTS500011: The resource principal named was not found in the tenant.",
        },
      };
    const principal = identity.defaultIdentity();
    const { token, expiresIn, expiresOn } = await identity.issue(principal, resource);
    return {
      status: 200,
      body: {
        access_token: token,
        client_id: principal.appId,
        expires_in: String(expiresIn),
        expires_on: String(expiresOn),
        ext_expires_in: String(expiresIn),
        not_before: String(expiresOn - expiresIn),
        resource,
        token_type: "Bearer",
      },
    };
  };
}
