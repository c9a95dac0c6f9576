/**
 * The portal's HTTP listener (plain HTTP on the hsmlink host, `--portal-port`): the browser client (HTML, CSS, the
 * TypeScript client — bundled by esbuild at build time into dist/portal/web/app.js, or on the first request when run
 * from sources — and elkjs's worker build from node_modules; no CDN), and its JSON API:
 *
 * | route | what |
 * |---|---|
 * | `GET /api/topology?subscription=&resourceGroup=` | the topology picture's nodes and edges ({@link topology}) |
 * | `GET /api/resource?id=` | one resource's JSON as ARM returns it (VMs: their `hsmlink vm show` view) |
 * | `GET /api/vantages`, `GET /api/from-here?vantage=` | "From here" ({@link fromHere}) |
 * | `GET /api/connections`, `POST /api/connections/action` | the private link center (ARM reads and writes) |
 * | `GET /api/events?token=` | server-sent events: `trace` (each new decision trace), `version` (the store changed) |
 *
 * Safety on a shared machine: every `/api/` call carries the portal token derived from the instance secret (header `x-hsmlink-portal-token`, or
 * `token=` for the event stream, which EventSource cannot give headers); state-changing calls must also come from
 * the portal's own origin (`Origin` = `http://{Host}`) as JSON; on a loopback bind the `Host` header must name a
 * loopback address (DNS rebinding). The secret reaches the browser in the URL fragment `hsmlink portal` prints,
 * which browsers never send to servers or in `Referer`.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Store } from "../store/db.js";
import type { VmService } from "../vms/vms.js";
import type { RequestTrace, TraceLog } from "../pipeline/trace-log.js";
import type { Endpoints } from "../client/endpoints.js";
import { AzureError, isAzureError } from "../kernel/errors.js";
import {
  fromHere,
  managedHsmIds,
  privateEndpointOnlyConnections,
  topology,
  vantages,
  type PortalDomain,
} from "./domain.js";
import { PortalArmClient, apiVersionOf } from "./arm.js";
import { scopeOf } from "./graph.js";
import type { ConnectionAction, ConnectionView } from "./model.js";

export interface PortalOptions {
  readonly host: string;
  readonly port: number;
  readonly store: Store;
  readonly vms: VmService;
  readonly traces: TraceLog;
  readonly subscriptionId: string;
  readonly internetClientAddress: string;
  /** How to reach this hsmlink's ARM API (read when the portal first calls it). */
  readonly endpoints: () => Endpoints;
  /** The token every API call must carry: `portalToken(instance secret)` (src/kernel/instance-secret.ts). */
  readonly secret: string;
}

export interface Portal {
  /** `http://{host}:{port}` (no secret). */
  readonly url: string;
  readonly port: number;
  /** The portal token; `{url}/#token={secret}` opens the portal. */
  readonly secret: string;
  close(): Promise<void>;
}

const TOKEN_HEADER = "x-hsmlink-portal-token";
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** The folder of the browser client's sources (src/portal/web), from src (tsx) or dist (compiled). */
function webDir(): string {
  // "../portal/": right from src/portal and dist/portal, and from the start bundle in dist/cli/ (scripts/bundle.mjs).
  for (const rel of ["../portal/web/", "../../src/portal/web/"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir + "main.ts")) return dir;
  }
  throw new Error("hsmlink portal: the browser client's sources (src/portal/web) are missing from this installation");
}

let bundle: Promise<string> | undefined;

/** The client bundle: the one `npm run build` wrote next to this module, else esbuild's (once per process). */
function clientBundle(): Promise<string> {
  bundle ??= (async () => {
    const prebuilt = fileURLToPath(new URL("../portal/web/app.js", import.meta.url));
    if (existsSync(prebuilt)) return readFileSync(prebuilt, "utf8");
    const esbuild = await import("esbuild");
    const r = await esbuild.build({
      entryPoints: [webDir() + "main.ts"],
      bundle: true,
      write: false,
      format: "esm",
      target: "es2022",
      minify: true,
      legalComments: "none",
      logLevel: "silent",
    });
    return r.outputFiles[0].text;
  })();
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

const requireHere = createRequire(import.meta.url);

const CSP =
  "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function send(
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  type: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": type,
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": CSP,
    ...extra,
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), "application/json; charset=utf-8");
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new AzureError(413, "RequestEntityTooLarge", `the body exceeds ${limit} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sameSecret(given: string | undefined, secret: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The name of a connection id `/…/managedHSMs/{hsm}/privateEndpointConnections/{name}`, else undefined. */
function parseConnectionId(id: string): { hsmId: string; name: string } | undefined {
  const m =
    /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.KeyVault\/managedHSMs\/[^/]+)\/privateEndpointConnections\/([^/?#]+)$/i.exec(
      id,
    );
  return m ? { hsmId: m[1], name: m[2] } : undefined;
}

/**
 * Starts the portal listener.
 * @throws the listen error (EADDRINUSE) as Node reports it
 */
export async function startPortal(o: PortalOptions): Promise<Portal> {
  const secret = o.secret;
  const domain: PortalDomain = {
    store: o.store,
    vms: o.vms,
    subscriptionId: o.subscriptionId,
    internetClientAddress: o.internetClientAddress,
  };
  let arm: PortalArmClient | undefined;
  const armClient = () => (arm ??= new PortalArmClient(o.endpoints));
  const loopbackBind = LOOPBACK_HOSTS.has(o.host) || o.host.startsWith("127.");
  const web = webDir();
  const elkWorker = requireHere.resolve("elkjs/lib/elk-worker.min.js");

  const streams = new Set<ServerResponse>();
  let lastSeq = o.traces.recent(0, 1)[0]?.seq ?? 0;
  let lastVersion = o.store.version() ?? 0;
  const unfinished = new Map<number, RequestTrace>();
  let lastVersionSent = 0;
  let ticker: NodeJS.Timeout | undefined;
  const tick = () => {
    const fresh = o.traces.recent(lastSeq, 500);
    const version = o.store.version() ?? 0;
    const frames: string[] = [];
    // A data-plane trace is sent when it begins and again once its outcome is known (the log replaces it by seq).
    for (const [seq, t] of unfinished) {
      if (!t.outcome) continue;
      unfinished.delete(seq);
      frames.push(`event: trace\nid: ${t.seq}\ndata: ${JSON.stringify(t)}\n\n`);
    }
    for (const t of fresh) {
      lastSeq = Math.max(lastSeq, t.seq);
      if (t.explained) continue;
      if (!t.outcome) unfinished.set(t.seq, t);
      frames.push(`event: trace\nid: ${t.seq}\ndata: ${JSON.stringify(t)}\n\n`);
    }
    // Requests that never finish (a dropped connection) are not watched forever.
    for (const seq of unfinished.keys()) if (seq < lastSeq - 1000) unfinished.delete(seq);
    // At most two `version` events a second: under load every data-plane write changes the version.
    if (version !== lastVersion && Date.now() - lastVersionSent >= 500) {
      lastVersion = version;
      lastVersionSent = Date.now();
      frames.push(`event: version\ndata: ${version}\n\n`);
    }
    if (frames.length) for (const s of streams) s.write(frames.join(""));
  };
  const heartbeat = setInterval(() => {
    for (const s of streams) s.write(": keep-alive\n\n");
  }, 15_000);
  heartbeat.unref();

  const listConnections = async (): Promise<ConnectionView[]> => {
    const out: ConnectionView[] = [];
    for (const hsmId of managedHsmIds(domain)) {
      const r = await armClient().call("GET", `${hsmId}/privateEndpointConnections?api-version=${apiVersionOf(hsmId)}`);
      if (r.status !== 200 || !Array.isArray(r.json?.value)) continue;
      // List items are `MHSMPrivateEndpointConnectionItem`s: `id`, `etag`, `properties`, no `name` (azure-cli
      // recording test_hsm_private_endpoint_connection.yaml); the name is the id's last segment, as az users read it.
      for (const c of r.json.value as {
        id: string;
        name?: string;
        properties?: {
          privateEndpoint?: { id?: string };
          privateLinkServiceConnectionState?: { status?: string; description?: string };
          provisioningState?: string;
        };
      }[]) {
        const pe = c.properties?.privateEndpoint?.id;
        const name = c.name ?? parseConnectionId(c.id)?.name;
        if (!name) continue;
        out.push({
          id: c.id,
          name,
          hsmId,
          hsmName: hsmId.split("/").pop() ?? hsmId,
          resourceGroup: scopeOf(hsmId).resourceGroup,
          ...(pe ? { privateEndpointId: pe, privateEndpointName: pe.split("/").pop() ?? pe } : {}),
          status: c.properties?.privateLinkServiceConnectionState?.status ?? "Pending",
          ...(c.properties?.privateLinkServiceConnectionState?.description
            ? { description: c.properties.privateLinkServiceConnectionState.description }
            : {}),
          ...(c.properties?.provisioningState ? { provisioningState: c.properties.provisioningState } : {}),
          actionable: true,
        });
      }
    }
    return [...out, ...privateEndpointOnlyConnections(domain, out)];
  };

  /** Approve / reject as az does: GET the connection, set status and description, PUT it back, GET until Succeeded. */
  const act = async (a: ConnectionAction): Promise<{ status: number; json: unknown }> => {
    const parsed = parseConnectionId(a.id);
    if (!parsed)
      throw new AzureError(400, "BadRequest", `'${a.id}' is not a managed HSM private endpoint connection id`);
    const url = `${a.id}?api-version=${apiVersionOf(a.id)}`;
    if (a.action === "delete") {
      const first = await armClient().call("DELETE", url);
      if (first.status >= 400) return first;
      const done = await armClient().settle(first);
      return { status: done.status >= 400 ? done.status : first.status, json: done.json ?? {} };
    }
    const current = await armClient().call("GET", url);
    if (current.status !== 200) return current;
    const connection = current.json as { properties: { privateLinkServiceConnectionState: Record<string, unknown> } };
    connection.properties.privateLinkServiceConnectionState = {
      ...connection.properties.privateLinkServiceConnectionState,
      status: a.action === "approve" ? "Approved" : "Rejected",
      description: a.description ?? null,
    };
    const put = await armClient().call("PUT", url, connection);
    if (put.status >= 400) return put;
    // The PUT answers `Updating` (+ Azure-AsyncOperation); az 2.45 (keyvault custom.py `_wait_private_link_operation`)
    // then GETs the connection up to 10 times, 1 s apart, until `Succeeded`, and falls back to the PUT's answer.
    for (let i = 0; i < 10; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 1000));
      const got = await armClient().call("GET", url);
      if (got.status === 200 && got.json?.properties?.provisioningState === "Succeeded") return got;
    }
    return put;
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const p = url.pathname;
    const given =
      p === "/api/events"
        ? (url.searchParams.get("token") ?? undefined)
        : (req.headers[TOKEN_HEADER] as string | undefined);
    if (!sameSecret(given, secret))
      return sendError(
        res,
        401,
        "PortalTokenRequired",
        "open the portal with the URL 'hsmlink portal' prints (it carries the portal token)",
      );
    if (req.method === "POST") {
      const origin = req.headers.origin;
      if (!origin || origin !== `http://${req.headers.host}`)
        return sendError(
          res,
          403,
          "CrossOriginRefused",
          "state-changing calls are accepted from the portal's own page only",
        );
      if (!/^application\/json\b/i.test(req.headers["content-type"] ?? ""))
        return sendError(res, 415, "UnsupportedMediaType", "send application/json");
    }
    if (req.method === "GET" && p === "/api/topology")
      return sendJson(
        res,
        200,
        topology(
          domain,
          url.searchParams.get("subscription") ?? undefined,
          url.searchParams.get("resourceGroup") ?? undefined,
        ),
      );
    if (req.method === "GET" && p === "/api/vantages") return sendJson(res, 200, { value: vantages(domain) });
    if (req.method === "GET" && p === "/api/from-here")
      return sendJson(res, 200, fromHere(domain, url.searchParams.get("vantage") ?? "internet"));
    if (req.method === "GET" && p === "/api/traces")
      return sendJson(res, 200, { value: o.traces.recent(0, 200).filter((t) => !t.explained) });
    if (req.method === "GET" && p === "/api/resource") {
      const id = url.searchParams.get("id") ?? "";
      const vm =
        /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i.exec(
          id,
        );
      if (vm)
        return sendJson(res, 200, {
          source: "hsmlink vm show (simulated VMs are not served by ARM)",
          resource: o.vms.show(decodeURIComponent(vm[1])),
        });
      // Only resource paths: never the admin API, token endpoints or anything else the direct listener serves.
      if (
        !/^\/subscriptions\/[A-Za-z0-9-]+\/resourceGroups\/[^?#]+$/i.test(id) ||
        id.includes("..") ||
        id.includes("//")
      )
        return sendError(res, 400, "BadRequest", `'${id}' is not an ARM resource id`);
      const r = await armClient().call(
        "GET",
        `${id
          .split("/")
          .map((s) => encodeURIComponent(decodeURIComponent(s)))
          .join("/")}?api-version=${apiVersionOf(id)}`,
      );
      return sendJson(res, 200, {
        source: `GET ${id}?api-version=${apiVersionOf(id)} → ${r.status}`,
        status: r.status,
        resource: r.json ?? null,
      });
    }
    if (req.method === "GET" && p === "/api/connections") return sendJson(res, 200, { value: await listConnections() });
    if (req.method === "POST" && p === "/api/connections/action") {
      let body: Partial<ConnectionAction>;
      try {
        body = JSON.parse((await readBody(req)).toString("utf8")) as Partial<ConnectionAction>;
      } catch {
        return sendError(res, 400, "BadRequest", "the body must be JSON {id, action, description?}");
      }
      if (
        typeof body !== "object" ||
        body === null ||
        typeof body.id !== "string" ||
        !["approve", "reject", "delete"].includes(String(body.action)) ||
        (body.description !== undefined && typeof body.description !== "string")
      ) {
        return sendError(
          res,
          400,
          "BadRequest",
          "the body must be {id: string, action: approve|reject|delete, description?: string}",
        );
      }
      const r = await act(body as ConnectionAction);
      return sendJson(res, r.status >= 400 ? r.status : 200, r.json ?? {});
    }
    if (req.method === "GET" && p === "/api/events") {
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        connection: "keep-alive",
      });
      res.write(`retry: 1000\nevent: version\ndata: ${o.store.version() ?? 0}\n\n`);
      streams.add(res);
      ticker ??= setInterval(tick, 200);
      req.on("close", () => {
        streams.delete(res);
        if (streams.size === 0 && ticker) {
          clearInterval(ticker);
          ticker = undefined;
        }
      });
      return;
    }
    sendError(res, 404, "NotFound", `no portal API ${req.method} ${p}`);
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const hostHeader = req.headers.host ?? "";
        const hostName = hostHeader.replace(/:\d+$/, "").toLowerCase();
        if (loopbackBind && !LOOPBACK_HOSTS.has(hostName) && !hostName.startsWith("127."))
          return sendError(res, 421, "MisdirectedRequest", "the portal answers loopback host names only");
        const url = new URL(req.url ?? "/", "http://portal.invalid");
        if (url.pathname.startsWith("/api/")) return await api(req, res, url);
        if (req.method !== "GET" && req.method !== "HEAD")
          return sendError(res, 405, "MethodNotAllowed", `${req.method} is not allowed here`);
        if (url.pathname === "/" || url.pathname === "/index.html")
          return send(res, 200, readFileSync(web + "index.html"), "text/html; charset=utf-8");
        if (url.pathname === "/assets/style.css")
          return send(res, 200, readFileSync(web + "style.css"), "text/css; charset=utf-8");
        if (url.pathname === "/assets/app.js")
          return send(res, 200, await clientBundle(), "text/javascript; charset=utf-8");
        if (url.pathname === "/assets/elk-worker.min.js")
          return send(res, 200, readFileSync(elkWorker), "text/javascript; charset=utf-8", {
            "cache-control": "max-age=3600",
          });
        if (url.pathname === "/favicon.ico") return send(res, 204, "", "image/x-icon");
        return sendError(res, 404, "NotFound", `no portal page ${url.pathname}`);
      } catch (e) {
        if (res.headersSent) return void res.destroy();
        if (isAzureError(e)) return sendError(res, e.status, e.code, e.message);
        return sendError(res, 502, "PortalError", (e as Error).message);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = o.host === "0.0.0.0" ? "127.0.0.1" : o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    secret,
    close() {
      clearInterval(heartbeat);
      if (ticker) clearInterval(ticker);
      for (const s of streams) s.end();
      streams.clear();
      return new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      });
    },
  };
}
