/**
 * One hsmlink process: store, CA, identities, the ARM engine and every listener (gateway proxy, direct HTTPS,
 * managed identity), started together and stopped together. `startHsmlink` is what `hsmlink start` and the
 * tests call.
 */
import { mkdirSync, writeFileSync, readFileSync, existsSync, unlinkSync, renameSync } from "node:fs";
import { join, resolve as resolvePath } from "node:path";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from "node:net";
import type { HsmlinkConfig } from "../config/settings.js";
import { WELL_KNOWN, isLoopbackAddress } from "../config/settings.js";
import { Store } from "../store/db.js";
import { systemClock, type Clock } from "../kernel/clock.js";
import { AzureError } from "../kernel/errors.js";
import type { ConnectionInfo, Exchange, ExchangeResult } from "../kernel/exchange.js";
import { ARM_HOST, GRAPH_HOST, IMDS_HOST, LOGIN_HOST, managedHsmNameOfHost } from "../kernel/azure-names.js";
import type { Endpoints } from "../client/endpoints.js";
import { LocalCa } from "../listeners/ca.js";
import { buildHttpApp, httpServerLimits } from "../listeners/http-app.js";
import { createGateway, connOfTlsRequest } from "../listeners/gateway.js";
import { IdentityService } from "../entra/identity.js";
import { entraSurface, managedIdentitySurface } from "../entra/entra.js";
import { secretMatches, ADMIN_SECRET_HEADER, INSTANCE_SECRET_FILE, portalToken } from "../kernel/instance-secret.js";
import { securePrivateDir, privateFile, loadOrCreateInstanceSecret } from "./instance.js";
import { ArmRouter, type ArmContext, type CascadeDeleter } from "../arm/engine.js";
import { Operations } from "../arm/lro.js";
import { armSurface } from "../arm/http.js";
import { registerResourceTypes } from "../arm/resource-types/index.js";
import { NETWORK_TYPES, snapshotFromStore } from "../network/snapshot.js";
import { resolve as resolveDns } from "../network/dns-view.js";
import { ensureDefaultSubscription } from "../arm/subscriptions.js";
import { startDnsServer } from "../dns/server.js";
import { cacheAnswersByStoreVersion } from "../dns/answer-cache.js";
import { VmService } from "../vms/vms.js";
import { decideProxy, type ProxyPolicy } from "../pipeline/connect.js";
import { createDataPlane } from "../pipeline/data-plane.js";
import { renderArm, renderKeyVault, refusalOf } from "../pipeline/render.js";
import { TraceLog } from "../pipeline/trace-log.js";
import { beginArmRequest } from "../pipeline/arm-authorization.js";
import { adminHandler as createAdminHandler } from "./admin.js";
import { findHsm } from "../hsm/hsm.js";
import { BLOB_HOST_PATTERN } from "../kernel/azure-names.js";
import { EmulatedClock } from "../fixture/clock.js";
import { createFixture, type Fixture } from "../fixture/index.js";
import { startPortal } from "../portal/server.js";

export interface Hsmlink {
  endpoints: Endpoints;
  config: HsmlinkConfig;
  /** The per-instance secret (also in `<data dir>/instance-secret`, mode 0600). */
  secret: string;
  store: Store;
  identity: IdentityService;
  ca: LocalCa;
  arm: ArmContext;
  /** Simulated VMs (vantage points) and their DNS listeners. */
  vms: VmService;
  /** Decision traces of recent data-plane requests. */
  traces: TraceLog;
  /** Test-fixture controls: the emulated clock, fault rules, state snapshots/exports (src/fixture/). */
  fixture: Fixture;
  /** Stops every listener and closes the store; resolves when done. Idempotent. */
  close(): Promise<void>;
}

export class DataDirInUseError extends Error {}

function acquireLock(dataDir: string): () => void {
  const lockPath = join(dataDir, "hsmlink.pid");
  if (existsSync(lockPath)) {
    const pid = Number(readFileSync(lockPath, "utf8").trim());
    let alive = false;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === "EPERM";
      }
    }
    if (alive)
      throw new DataDirInUseError(
        `data dir ${dataDir} is in use by another hsmlink (pid ${pid}); stop it or pass --data-dir`,
      );
  }
  writeFileSync(lockPath, `${process.pid}\n`, { mode: 0o600 });
  return () => {
    try {
      if (readFileSync(lockPath, "utf8").trim() === String(process.pid)) unlinkSync(lockPath);
    } catch {
      /* already gone */
    }
  };
}

function listen(server: Server | NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts hsmlink with `config`.
 * @throws DataDirInUseError when another live process holds the data dir; listen errors (EADDRINUSE) as thrown by Node
 */
export async function startHsmlink(
  config: HsmlinkConfig,
  opts: { clock?: Clock; quiet?: boolean } = {},
): Promise<Hsmlink> {
  // A private instance: the data dir is its owner's alone; files in it are 0600.
  const tightenedFrom = securePrivateDir(config.dataDir);
  const releaseLock = acquireLock(config.dataDir);
  const cleanups: (() => void | Promise<void>)[] = [releaseLock];
  try {
    const dbPath = join(config.dataDir, "hsmlink.db");
    // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the database file's mode.
    if (!config.inMemory && !existsSync(dbPath)) writeFileSync(dbPath, "", { mode: 0o600 });
    const store = Store.open(config.inMemory ? ":memory:" : dbPath);
    cleanups.unshift(() => store.close());
    for (const f of ["hsmlink.db", "hsmlink.db-wal", "hsmlink.db-shm", "hsmlink.pid"])
      privateFile(join(config.dataDir, f));
    const secret = loadOrCreateInstanceSecret(config.dataDir);
    /** The admin API's secret: header X-Hsmlink-Secret, or the password of Basic credentials (a browser's prompt). */
    const adminSecretOk = (ex: Exchange): boolean => {
      if (secretMatches(secret, ex.headers[ADMIN_SECRET_HEADER])) return true;
      const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(ex.headers["authorization"] ?? "");
      const decoded = m ? Buffer.from(m[1], "base64").toString("utf8") : "";
      return m !== null && secretMatches(secret, decoded.slice(decoded.indexOf(":") + 1));
    };
    // Everything that ages reads this one clock: real time (or the caller's) plus the offset `hsmlink clock` set.
    const clock = new EmulatedClock(opts.clock ?? systemClock, store);
    // Exposed on a specific address, the CA must also vouch for it; a wildcard bind is reached by name (localhost).
    const wildcard = config.host === "0.0.0.0" || config.host === "::";
    const ca = await LocalCa.loadOrCreate(config.dataDir, {
      extra: isLoopbackAddress(config.host) || wildcard ? [] : [config.host],
    });
    const identity = await IdentityService.open(store, clock, config.dataDir, config.tenantId);

    const router = new ArmRouter();
    const deleters: CascadeDeleter[] = [];
    const traces = new TraceLog();
    // ARM requests pass the decision pipeline's authentication and rbac steps; their traces join the data plane's.
    const arm: ArmContext = {
      store,
      clock,
      config,
      subscriptionId: config.subscriptionId,
      operations: new Operations(store, clock),
      deleters,
      decide: (req, caller) => beginArmRequest(store.db, traces, req, caller),
    };
    registerResourceTypes(router, deleters);
    ensureDefaultSubscription(store, {
      subscriptionId: config.subscriptionId,
      ownerObjectId: WELL_KNOWN.principalObjectId,
      now: clock.now(),
    });

    let httpsPort = config.httpsPort;
    const directBase = () => `https://${config.host}:${httpsPort}`;
    const baseUrlOf = (ex: Exchange) => (ex.conn.listener === "https" ? directBase() : `https://${ex.conn.hostName}`);
    const armHandler = armSurface(router, arm, identity, baseUrlOf);
    const entraHandler = entraSurface(identity, clock, baseUrlOf);
    const miHandler = managedIdentitySurface(identity, { secretMatches: (given) => secretMatches(secret, given) });
    const fixture = createFixture({ store, arm, clock, config, identity, traces });
    // The managed HSM data plane behind the decision pipeline (src/pipeline/data-plane.ts).
    const dataPlane = createDataPlane({
      store,
      identity,
      clock,
      config,
      traces,
      faults: fixture.faults,
      network: { snapshot: () => snapshotFromStore(store), internetClientAddress: config.internetClientAddress },
    });
    cleanups.unshift(() => dataPlane.close());
    // Activation with generated wrapping keys: `hsmlink hsm activate NAME`, and every new HSM under --activate-new-hsms.
    const activateGenerated = async (name: string) => {
      const hsm = findHsm(store, name);
      if (!hsm) throw new AzureError(404, "NotFound", `There is no managed HSM named '${name}'.`);
      return dataPlane.securityDomain.activateWithGeneratedKeys(
        hsm,
        join(config.dataDir, "security-domains", hsm.name),
      );
    };
    if (config.activateNewHsms) {
      arm.onManagedHsmCreated = async (name) => {
        await activateGenerated(name);
      };
    }

    let gatewayUrl = "";
    const vms = new VmService(store, clock, {
      subscriptionId: config.subscriptionId,
      location: config.location,
      dnsHost: config.host,
      gatewayUrl: () => gatewayUrl,
      proxyPassword: secret,
    });
    cleanups.unshift(() => vms.close());
    // Resource-group delete removes VMs first: their NICs sit in subnets the VNet deleter needs empty.
    deleters.push({ type: NETWORK_TYPES.virtualMachine, order: 5, remove: (_ctx, id) => vms.removeById(id) });
    fixture.attach({ vms, arm: armHandler, dataPlane, activateHsm: activateGenerated });
    const coreAdmin = createAdminHandler({
      vms,
      traces,
      store,
      identity,
      internetClientAddress: config.internetClientAddress,
      activateHsm: activateGenerated,
      subscriptions: {
        tenantId: config.tenantId,
        defaultSubscriptionId: config.subscriptionId,
        ownerObjectId: WELL_KNOWN.principalObjectId,
        now: () => clock.now(),
      },
    });
    const adminHandler = async (ex: Exchange): Promise<ExchangeResult> => (await fixture.admin(ex)) ?? coreAdmin(ex);

    const isLoginPath = (path: string) =>
      /^\/[^/]+\/(oauth2\/|v2\.0\/\.well-known|\.well-known|discovery\/)/i.test(path) ||
      /^\/common\/discovery\//i.test(path);

    // ARM and sign-in have no decision pipeline of their own: the same fault step runs before them
    // (the data plane runs it as its `fault` step, src/pipeline/data-plane.ts).
    const withFaults = async (
      ex: Exchange,
      host: string,
      serve: () => Promise<ExchangeResult>,
    ): Promise<ExchangeResult> => (await fixture.injectFault(ex, host)) ?? serve();

    const dispatch = async (ex: Exchange): Promise<ExchangeResult> => {
      const c = ex.conn;
      if (c.listener === "msi") return withFaults(ex, IMDS_HOST, () => miHandler(ex));
      if (c.listener === "https") {
        const p = ex.path.toLowerCase();
        if (p === "/ca.pem" || p === "/ca")
          return { status: 200, body: ca.certPem, contentType: "application/x-pem-file" };
        if (p === "/healthz") return { status: 200, body: { status: "ok" } };
        if (p.startsWith("/_hsmlink/")) {
          if (!adminSecretOk(ex)) {
            // hsmlink's choice (no Azure counterpart): 401 with a Basic challenge, so a browser can ask for it.
            throw new AzureError(
              401,
              "Unauthorized",
              `hsmlink's admin API needs the instance secret (header ${ADMIN_SECRET_HEADER}, or as a Basic password); it is in ${join(config.dataDir, INSTANCE_SECRET_FILE)}, readable only by the user that started hsmlink`,
              { headers: { "WWW-Authenticate": 'Basic realm="hsmlink admin"' } },
            );
          }
          return adminHandler(ex);
        }
        if (p.startsWith("/metadata/identity/") || p.startsWith("/msi/"))
          return withFaults(ex, IMDS_HOST, () => miHandler(ex));
        if (isLoginPath(ex.path)) return withFaults(ex, LOGIN_HOST, () => entraHandler(ex));
        return withFaults(ex, ARM_HOST, () => armHandler(ex));
      }
      if (c.hostName === ARM_HOST) return withFaults(ex, ARM_HOST, () => armHandler(ex));
      if (c.hostName === LOGIN_HOST) return withFaults(ex, LOGIN_HOST, () => entraHandler(ex));
      if (c.hostName === IMDS_HOST) return withFaults(ex, IMDS_HOST, () => miHandler(ex));
      if (c.hostName === GRAPH_HOST) return graphNotEmulated(ex);
      if (managedHsmNameOfHost(c.hostName)) return dataPlane(ex);
      throw new AzureError(421, "MisdirectedRequest", `hsmlink does not emulate ${c.hostName}`);
    };

    // Errors thrown outside the pipeline (parsing, 500s) get the envelope of the surface the host belongs to.
    const renderError = (conn: ConnectionInfo, err: AzureError, requestId: string): ExchangeResult =>
      conn.listener === "gateway" && managedHsmNameOfHost(conn.hostName)
        ? renderKeyVault(refusalOf(err), requestId)
        : err.surface === "keyvault"
          ? { status: err.status, headers: err.options.headers, body: err.toBody(requestId) }
          : renderArm(err);

    // The direct listener answers to `localhost` and to the address it listens on; clients that connect to an
    // address send no server name and get the certificate of the listen address (or localhost for a wildcard).
    const directName = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host.toLowerCase();
    const directNames = new Set(["localhost", directName]);
    const httpApp = buildHttpApp({
      logLevel: config.logLevel,
      bodyLimit: config.bodyLimitBytes,
      dispatch,
      renderError,
      connOfSocket: connOfTlsRequest,
      directConn: () => ({ listener: "https", hostName: "localhost", port: httpsPort }),
      tls: {
        defaultCert: await ca.leafPem(directName),
        sniCallback: (name, cb) => {
          const sni = name.toLowerCase().replace(/\.$/, "");
          if (!directNames.has(sni))
            return cb(new Error(`hsmlink's direct HTTPS listener serves no TLS name '${name}'`));
          ca.contextFor(sni).then(
            (c) => cb(null, c),
            (e: Error) => cb(e),
          );
        },
      },
      limits: config,
    });
    await httpApp.app.ready();
    if (ca.replaced) httpApp.app.log.warn(`hsmlink: ${ca.replaced}`);
    if (tightenedFrom !== undefined)
      httpApp.app.log.warn(
        `hsmlink: data dir ${config.dataDir} was mode ${tightenedFrom.toString(8)}; made it 0700 (it holds keys and the instance secret)`,
      );
    cleanups.unshift(() => httpApp.app.close());

    // The one gateway policy (src/pipeline/connect.ts decideProxy); `hsmlink explain` calls the same function.
    const policy: ProxyPolicy = async (target, vantage, password) =>
      decideProxy(
        {
          vantageOf: (name) => vms.vantageOf(name),
          snapshot: () => snapshotFromStore(store),
          internetClientAddress: config.internetClientAddress,
          secretMatches: (given) => secretMatches(secret, given),
          secretEverywhere: config.expose,
          dropAfterMs: config.dropAfterSeconds * 1000,
        },
        target,
        vantage,
        password,
      );

    const gateway = createGateway({
      ca,
      app: httpApp,
      policy,
      limits: config,
      onRefusal: (r) => traces.refusal(r),
      log: (level, message, err) => httpApp.app.log[level]({ err }, message),
      passThrough: (hostName) =>
        BLOB_HOST_PATTERN.test(hostName) ? () => dataPlane.blobStorage.endpoint() : undefined,
    });
    const gatewayPort = await listen(gateway, config.gatewayPort, config.host);
    cleanups.unshift(() => new Promise<void>((r) => gateway.close(() => r())));

    const direct = httpApp.tlsServer;
    direct.maxConnections = config.maxConnectionsPerVantage;
    httpsPort = await listen(direct, config.httpsPort, config.host);
    // Tunnelled TLS sockets are tracked by the same server: closeAllConnections ends them with the direct ones.
    cleanups.unshift(
      () =>
        new Promise<void>((r) => {
          direct.closeAllConnections();
          direct.close(() => r());
        }),
    );

    const msi = createHttpServer(httpServerLimits(config), (req, res) =>
      httpApp.handle(req, res, { listener: "msi", hostName: config.host, port: msiPort }),
    );
    msi.maxConnections = config.maxConnectionsPerVantage;
    let msiPort = config.msiPort;
    msiPort = await listen(msi, config.msiPort, config.host);
    cleanups.unshift(
      () =>
        new Promise<void>((r) => {
          msi.closeAllConnections();
          msi.close(() => r());
        }),
    );
    cleanups.unshift(() => {
      gateway.closeAllConnections();
    });
    gatewayUrl = `http://${config.host}:${gatewayPort}`;

    const internetDns = await startDnsServer({
      host: config.host,
      port: config.dnsPort,
      answer: cacheAnswersByStoreVersion(store, (qname, qtype) =>
        resolveDns(snapshotFromStore(store), { kind: "internet" }, qname, qtype),
      ),
      version: () => store.version(),
    });
    cleanups.unshift(() => internetDns.close());
    await vms.start();
    // `--seed FILE`: the state becomes the seed's world (src/fixture/seed.ts); a bad seed stops the start.
    if (config.seed) await fixture.startFromSeed(resolvePath(config.seed));

    let endpointsForPortal: Endpoints | undefined;
    const portal = await startPortal({
      host: config.host,
      port: config.portalPort,
      store,
      vms,
      traces,
      subscriptionId: config.subscriptionId,
      internetClientAddress: config.internetClientAddress,
      endpoints: () => endpointsForPortal!,
      secret: portalToken(secret),
    });
    cleanups.unshift(() => portal.close());

    const endpoints: Endpoints = {
      gatewayUrl: `http://${config.host}:${gatewayPort}`,
      httpsUrl: `https://${config.host}:${httpsPort}`,
      msiEndpoint: `http://${config.host}:${msiPort}/msi/token`,
      dns: { host: config.host, port: internetDns.port },
      caCertPath: ca.certPath,
      tenantId: config.tenantId,
      subscriptionId: config.subscriptionId,
      principalObjectId: WELL_KNOWN.principalObjectId,
      location: config.location,
      dataDir: config.dataDir,
      pid: process.pid,
      portalUrl: portal.url,
    };
    endpointsForPortal = endpoints;
    const endpointsPath = join(config.dataDir, "endpoints.json");
    writeFileSync(endpointsPath + ".tmp", JSON.stringify(endpoints, null, 2) + "\n", { mode: 0o600 });
    renameSync(endpointsPath + ".tmp", endpointsPath);
    cleanups.unshift(() => {
      try {
        unlinkSync(endpointsPath);
      } catch {
        /* already gone */
      }
    });

    let closing: Promise<void> | undefined;
    return {
      endpoints,
      config,
      secret,
      store,
      identity,
      ca,
      arm,
      vms,
      traces,
      fixture,
      close() {
        closing ??= (async () => {
          for (const c of cleanups) await c();
        })();
        return closing;
      },
    };
  } catch (e) {
    for (const c of cleanups) await c();
    throw e;
  }
}

/**
 * Every Microsoft Graph request: hsmlink does not emulate Graph, so it answers with a Graph-shaped error
 * (`{"error": {"code", "message", "innerError"}}`, the Graph error resource) that names the way around it.
 * Status 501 and the code are hsmlink's choice; az shows the message (`az ad …`) or, where Graph only fills in
 * display names (`az role assignment list`), carries on without them.
 */
function graphNotEmulated(ex: Exchange): ExchangeResult {
  return {
    status: 501,
    body: {
      error: {
        code: "hsmlink_GraphNotEmulated",
        message:
          "hsmlink does not emulate Microsoft Graph. Use object ids instead of names: --assignee-object-id with --assignee-principal-type ServicePrincipal, the objectId that 'hsmlink identity create' printed, or principalObjectId of endpoints.json for the default identity.",
        innerError: { "request-id": ex.requestId, date: new Date().toISOString().replace(/\.\d+Z$/, "") },
      },
    },
  };
}
