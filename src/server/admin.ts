/**
 * The admin API (on the direct HTTPS listener, under `/_hsmlink/`): service principals, simulated VMs, the
 * decision traces (`hsmlink log`) and `hsmlink explain`.
 */
import type { Store } from "../store/db.js";
import { AzureError } from "../kernel/errors.js";
import type { Exchange, ExchangeResult } from "../kernel/exchange.js";
import { parseJsonBody } from "../kernel/exchange.js";
import type { Vantage } from "../network/topology.js";
import { snapshotFromStore } from "../network/snapshot.js";
import type { IdentityService } from "../entra/identity.js";
import type { VmService } from "../vms/vms.js";
import type { RequestTrace, TraceLog } from "../pipeline/trace-log.js";
import { explainRequest } from "../pipeline/explain.js";
import { createSubscription, listSubscriptions, SubscriptionError } from "../arm/subscriptions.js";

/**
 * Admin API routes of the network-isolation feature (on the direct HTTPS listener, under `/_hsmlink/`):
 * `POST/GET /_hsmlink/vms`, `GET/DELETE /_hsmlink/vms/{name}`, `GET /_hsmlink/traces?after=&limit=`,
 * `POST /_hsmlink/explain {method, url, vm?, principal?}` (`principal`: the object id an ARM URL is explained for).
 * Returns undefined for any other path.
 */
export function networkAdminHandler(deps: {
  vms: VmService;
  traces: TraceLog;
  store: Store;
  internetClientAddress: string;
  /** Resolves the principal an ARM explanation is made for (default: the default managed identity). */
  armCaller?: (objectId: string | undefined) => { objectId: string; appId: string; displayName?: string } | undefined;
}): (ex: Exchange) => Promise<ExchangeResult | undefined> {
  return async (ex) => {
    const p = ex.path.replace(/\/+$/, "");
    const lower = p.toLowerCase();
    const body = () => {
      if (!ex.body || ex.body.length === 0) return {} as Record<string, unknown>;
      try {
        const v = JSON.parse(ex.body.toString("utf8")) as unknown;
        if (v && typeof v === "object") return v as Record<string, unknown>;
      } catch {
        /* fall through */
      }
      throw new AzureError(400, "BadRequest", "body must be a JSON object");
    };
    const str = (b: Record<string, unknown>, k: string) => {
      const v = b[k];
      if (typeof v !== "string" || v === "") throw new AzureError(400, "BadRequest", `'${k}' is required (string)`);
      return v;
    };
    if (lower === "/_hsmlink/vms" && ex.method === "POST") {
      const b = body();
      const view = await deps.vms.create({
        name: str(b, "name"),
        resourceGroup: str(b, "resourceGroup"),
        vnet: str(b, "vnet"),
        subnet: str(b, "subnet"),
        dnsForwarder: b.dnsForwarder === true,
        ...(typeof b.subscription === "string" && b.subscription ? { subscription: b.subscription } : {}),
      });
      return { status: 201, body: view };
    }
    if (lower === "/_hsmlink/vms" && ex.method === "GET") return { status: 200, body: { value: deps.vms.list() } };
    const m = /^\/_hsmlink\/vms\/([^/]+)$/i.exec(p);
    if (m && ex.method === "GET") return { status: 200, body: deps.vms.show(decodeURIComponent(m[1])) };
    if (m && ex.method === "DELETE") {
      await deps.vms.delete(decodeURIComponent(m[1]));
      return { status: 200, body: {} };
    }
    if (lower === "/_hsmlink/traces" && ex.method === "GET") {
      const after = Number(ex.query.after ?? 0) || 0;
      const limit = Math.min(500, Number(ex.query.limit ?? 50) || 50);
      return { status: 200, body: { value: deps.traces.recent(after, limit) } };
    }
    if (lower === "/_hsmlink/explain" && ex.method === "POST") {
      const b = body();
      const url = str(b, "url");
      if (!URL.canParse(url)) throw new AzureError(400, "BadRequest", `'${url}' is not an absolute URL`);
      let vantage: Vantage = { kind: "internet" };
      if (typeof b.vm === "string" && b.vm !== "") {
        const v = deps.vms.vantageOf(b.vm);
        if (!v) throw new AzureError(404, "VmNotFound", `VM '${b.vm}' does not exist`);
        vantage = v;
      }
      const principal = typeof b.principal === "string" && b.principal !== "" ? b.principal : undefined;
      const caller = deps.armCaller?.(principal);
      if (principal && !caller)
        throw new AzureError(
          404,
          "PrincipalNotFound",
          `no principal with object id '${principal}' ('hsmlink identity list' shows them)`,
        );
      const explained = explainRequest(
        {
          snapshot: () => snapshotFromStore(deps.store),
          internetClientAddress: deps.internetClientAddress,
          ...(caller ? { arm: { db: deps.store.db, caller } } : {}),
        },
        vantage,
        typeof b.method === "string" ? b.method : "GET",
        url,
      );
      const trace: RequestTrace = {
        seq: deps.traces.nextSeq(),
        requestId: "explain",
        time: new Date().toISOString(),
        explained: true,
        ...explained,
      };
      deps.traces.push(trace);
      return { status: 200, body: trace };
    }
    return undefined;
  };
}

/**
 * The admin API handler: {@link networkAdminHandler}'s routes, then `POST/GET /_hsmlink/identities` and
 * `POST/GET /_hsmlink/subscriptions` (`{name, subscriptionId?}`; the default identity becomes the new one's Owner).
 * @throws AzureError 404 `NotFound` for any other admin path
 */
export function adminHandler(deps: {
  vms: VmService;
  traces: TraceLog;
  store: Store;
  identity: IdentityService;
  internetClientAddress: string;
  subscriptions: { tenantId: string; defaultSubscriptionId: string; ownerObjectId: string; now: () => number };
  /** `hsmlink hsm activate NAME`: activates the HSM with generated wrapping keys; returns where they are. */
  activateHsm?: (name: string) => Promise<unknown>;
}): (ex: Exchange) => Promise<ExchangeResult> {
  const networkAdmin = networkAdminHandler({
    ...deps,
    armCaller: (objectId) => (objectId ? deps.identity.byObjectId(objectId) : deps.identity.defaultIdentity()),
  });
  const { identity } = deps;
  return async (ex) => {
    const p = ex.path.toLowerCase();
    const networkResult = await networkAdmin(ex);
    if (networkResult) return networkResult;
    if (p === "/_hsmlink/identities" && ex.method === "POST") {
      const body = parseJsonBody(ex, (m) => new AzureError(400, "BadRequest", `invalid JSON: ${m}`)) as
        { name?: unknown; trustedService?: unknown } | undefined;
      if (!body || typeof body.name !== "string")
        throw new AzureError(400, "BadRequest", 'body must be {"name": string, "trustedService"?: string}');
      try {
        const { principal, password } = identity.createServicePrincipal(
          body.name,
          typeof body.trustedService === "string" ? body.trustedService : undefined,
        );
        return {
          status: 201,
          body: {
            appId: principal.appId,
            password,
            objectId: principal.objectId,
            tenantId: principal.tenantId,
            displayName: principal.displayName,
            ...(principal.trustedService ? { trustedService: principal.trustedService } : {}),
          },
        };
      } catch (e) {
        throw new AzureError(409, "Conflict", (e as Error).message);
      }
    }
    if (p === "/_hsmlink/identities" && ex.method === "GET") return { status: 200, body: { value: identity.list() } };
    const activate = /^\/_hsmlink\/hsms\/([a-z0-9-]{1,63})\/activate$/.exec(p);
    if (activate && ex.method === "POST" && deps.activateHsm) {
      try {
        return { status: 200, body: await deps.activateHsm(activate[1]) };
      } catch (e) {
        // The data plane's errors use the Key Vault envelope; the admin API answers in its own.
        if (e instanceof AzureError) throw new AzureError(e.status, e.code, e.message);
        throw e;
      }
    }
    const subs = deps.subscriptions;
    if (p === "/_hsmlink/subscriptions" && ex.method === "POST") {
      const body = parseJsonBody(ex, (m) => new AzureError(400, "BadRequest", `invalid JSON: ${m}`)) as
        { name?: unknown; subscriptionId?: unknown } | undefined;
      if (!body || typeof body.name !== "string")
        throw new AzureError(400, "BadRequest", 'body must be {"name": string, "subscriptionId"?: string}');
      let sub;
      try {
        sub = createSubscription(deps.store, {
          displayName: body.name,
          ...(typeof body.subscriptionId === "string" ? { subscriptionId: body.subscriptionId } : {}),
          ownerObjectId: subs.ownerObjectId,
          now: subs.now(),
        });
      } catch (e) {
        if (e instanceof SubscriptionError)
          throw new AzureError(
            e.kind === "conflict" ? 409 : 400,
            e.kind === "conflict" ? "Conflict" : "BadRequest",
            e.message,
          );
        throw e;
      }
      return {
        status: 201,
        body: {
          subscriptionId: sub.subscriptionId,
          displayName: sub.displayName,
          tenantId: subs.tenantId,
          owner: subs.ownerObjectId,
        },
      };
    }
    if (p === "/_hsmlink/subscriptions" && ex.method === "GET") {
      const value = listSubscriptions(deps.store).map((s) => ({
        subscriptionId: s.subscriptionId,
        displayName: s.displayName,
        tenantId: subs.tenantId,
        isDefault: s.subscriptionId.toLowerCase() === subs.defaultSubscriptionId.toLowerCase(),
      }));
      return { status: 200, body: { value } };
    }
    throw new AzureError(404, "NotFound", `no admin endpoint ${ex.method} ${ex.path}`);
  };
}
