/**
 * The ARM surface: authenticates the bearer token, checks api-version, subscription and resource group, parses
 * the JSON body, dispatches to the route table and renders ARM's error envelope (control-plane.md §1.3).
 */
import type { Exchange, ExchangeResult } from "../kernel/exchange.js";
import { parseJsonBody } from "../kernel/exchange.js";
import { AzureError } from "../kernel/errors.js";
import { TokenError, type IdentityService } from "../entra/identity.js";
import { checkArmApiVersion } from "./api-versions.js";
import { armErrors } from "./errors.js";
import {
  decodePathSegment,
  type ArmContext,
  type ArmRouter,
  type ArmRequest,
  type ArmRequestDecisions,
} from "./engine.js";
import { getSubscription } from "./subscriptions.js";

export const ARM_AUDIENCES = [
  "https://management.core.windows.net/",
  "https://management.core.windows.net",
  "https://management.azure.com/",
  "https://management.azure.com",
] as const;

function armDate(epochSeconds: number): string {
  // ARM prints token times like "11/29/2026 10:00:00 PM" (US format, UTC).
  return new Date(epochSeconds * 1000).toLocaleString("en-US", { timeZone: "UTC" }).replace(",", "");
}

function tokenErrorToArm(e: TokenError, now: number): AzureError {
  switch (e.reason) {
    case "missing":
      return armErrors.AuthenticationFailed();
    case "expired":
      return armErrors.ExpiredAuthenticationToken(armDate(e.detail.exp ?? 0), armDate(Math.floor(now / 1000)));
    case "audience":
      return armErrors.InvalidAuthenticationTokenAudience(e.detail.aud ?? "");
    case "signature":
      return armErrors.InvalidAuthenticationToken("The access token is invalid. The signature could not be validated.");
    case "tenant":
      return armErrors.InvalidAuthenticationToken(
        "The access token is from the wrong issuer. It must match the tenant associated with this subscription.",
      );
    default:
      return armErrors.InvalidAuthenticationToken();
  }
}

/** Builds the ARM surface handler over a route table. */
export function armSurface(
  router: ArmRouter,
  ctx: ArmContext,
  identity: IdentityService,
  baseUrlOf: (ex: Exchange) => string,
) {
  return async function handleArm(ex: Exchange): Promise<ExchangeResult> {
    let decisions: ArmRequestDecisions | undefined;
    try {
      const auth = ex.headers["authorization"];
      const bearer = auth && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, "").trim() : undefined;
      let principal;
      try {
        ({ principal } = await identity.verify(bearer, ARM_AUDIENCES));
      } catch (e) {
        if (e instanceof TokenError) throw tokenErrorToArm(e, ctx.clock.now());
        throw e;
      }
      const apiVersion = ex.query["api-version"];
      if (!apiVersion) throw armErrors.MissingApiVersionParameter();

      const parts = ex.path.split("/").filter(Boolean);
      let reqCtx = ctx;
      if (parts[0]?.toLowerCase() === "subscriptions" && parts[1]) {
        const subscription = getSubscription(ctx.store, decodePathSegment(parts[1]));
        if (!subscription) throw armErrors.SubscriptionNotFound(parts[1]);
        reqCtx = { ...ctx, subscriptionId: subscription.subscriptionId };
      }
      const method = ex.method.toUpperCase();
      // The decision pipeline's rbac step. It comes before any existence check below the subscription: a caller
      // without rights learns nothing about what exists ("… over scope '…' or the scope is invalid").
      decisions = ctx.decide(
        {
          requestId: ex.requestId,
          receivedAt: ex.receivedAt,
          method,
          host: ex.conn.hostName,
          path: ex.path,
          ...(ex.conn.vantage ? { vantage: ex.conn.vantage } : {}),
        },
        principal,
      );
      decisions.authorize();
      // Anything below a resource group needs the group (ARM answers ResourceGroupNotFound before the provider sees it).
      if (parts.length > 4 && parts[2]?.toLowerCase() === "resourcegroups") {
        const rg = decodePathSegment(parts[3]);
        if (!ctx.store.resources.get(`/subscriptions/${parts[1]}/resourceGroups/${rg}`))
          throw armErrors.ResourceGroupNotFound(rg);
      }

      const found = router.match(method, ex.path);
      if (found === "method") throw armErrors.MethodNotAllowed(method, ex.path);
      if (!found) throw routeNotFound(ex.path, apiVersion);

      const body =
        method === "GET" || method === "DELETE" || method === "HEAD"
          ? undefined
          : parseJsonBody(ex, (m) =>
              armErrors.InvalidRequestContent(`The request content was invalid and could not be deserialized: '${m}'.`),
            );
      if (!ctx.config.lenientApiVersions) {
        const loc =
          body && typeof body === "object" && typeof (body as { location?: unknown }).location === "string"
            ? (body as { location: string }).location
            : ctx.config.location;
        checkArmApiVersion(ex.path, apiVersion, loc, noteApiVersion);
      }
      const req: ArmRequest = {
        method,
        path: ex.path,
        query: ex.query,
        apiVersion,
        headers: ex.headers,
        body,
        params: found.params,
        principal,
        baseUrl: baseUrlOf(ex),
        decisions,
      };
      const result = await found.handler(req, reqCtx);
      decisions.finish(result.status);
      return { status: result.status, headers: result.headers, body: result.body };
    } catch (e) {
      if (e instanceof AzureError) {
        decisions?.finish(e.status, { code: e.code, message: e.message });
        const headers: Record<string, string> = { ...(e.options.headers ?? {}) };
        if (e.status === 401) {
          // The description quotes client-controlled text (a token's audience): made a valid quoted-string first.
          headers["WWW-Authenticate"] =
            `Bearer authorization_uri="https://login.microsoftonline.com/${ctx.config.tenantId}", error="invalid_token", error_description="${quotedStringText(e.message)}"`;
        }
        headers["x-ms-failure-cause"] = e.status >= 500 ? "service" : "gateway";
        return { status: e.status, headers, body: e.toBody(ex.requestId) };
      }
      throw e;
    }
  };
}

/** `%XX` escapes of the UTF-8 bytes of `s` (a lone surrogate becomes U+FFFD's bytes; never throws). */
function utf8Escapes(s: string): string {
  return [...Buffer.from(s, "utf8")].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

/**
 * Text for an HTTP quoted-string in a header (RFC 9110 §5.6.4): printable ASCII only, so a header is never built from
 * unchecked text; double quotes become single ones (as before), backslashes are escaped, line breaks and other
 * controls become spaces, and letters beyond ASCII are UTF-8 percent-encoded.
 */
export function quotedStringText(text: string): string {
  return text
    .replace(/"/g, "'")
    .replace(/\\/g, "\\\\")
    .replace(/[\x00-\x1f\x7f]/g, " ")
    .replace(/[^\x20-\x7e]+/gu, (m) => utf8Escapes(m));
}

/** ARM's answer for a path no resource provider serves. */
function routeNotFound(path: string, apiVersion: string): AzureError {
  const parts = path.split("/").filter(Boolean);
  const p = parts.findIndex((s) => s.toLowerCase() === "providers");
  if (p >= 0 && parts[p + 1]) {
    const ns = parts[p + 1];
    const type = parts
      .slice(p + 2)
      .filter((_, i) => i % 2 === 0)
      .join("/");
    if (!KNOWN_NAMESPACES.includes(ns.toLowerCase())) return armErrors.InvalidResourceNamespace(ns);
    return armErrors.InvalidResourceType(type, ns, apiVersion);
  }
  return new AzureError(404, "NotFound", `The requested path '${path}' was not found.`, { surface: "arm" });
}

const KNOWN_NAMESPACES = ["microsoft.keyvault", "microsoft.network", "microsoft.resources", "microsoft.authorization"];

/** Where a newer-than-known api-version is noted: the process's log (stderr), once per type and version. */
function noteApiVersion(message: string): void {
  process.stderr.write(`hsmlink: ${message}\n`);
}
