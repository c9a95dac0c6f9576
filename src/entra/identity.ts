/**
 * Entra ID in miniature: principals (the default managed identity and service principals made with
 * `hsmlink identity create`) and the JWT access tokens issued to them, signed RS256 by a key under the data
 * dir and published as JWKS. Claims follow the Microsoft identity platform access token reference
 * (tid, oid, appid, aud, iss, iat/nbf/exp, idtyp).
 */
import { SignJWT, jwtVerify, exportJWK, importPKCS8, createLocalJWKSet, type JWK, errors as joseErrors } from "jose";
import { existsSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { randomBytes, scryptSync, timingSafeEqual, createHash, generateKeyPairSync } from "node:crypto";
import type { Store } from "../store/db.js";
import type { PrincipalRow } from "../store/principals.js";
import type { Clock } from "../kernel/clock.js";
import { MANAGED_HSM_TRUSTED_SERVICES, trustedServiceNamespace } from "../network/trusted-services.js";
import { WELL_KNOWN } from "../config/settings.js";
import { newGuid } from "../kernel/ids.js";
import { StoreVersionCache } from "../store/version-cache.js";

export interface Principal {
  objectId: string;
  appId: string;
  tenantId: string;
  displayName: string;
  kind: "ManagedIdentity" | "ServicePrincipal";
  /** Resource provider namespace of a trusted Azure service (firewall bypass AzureServices), if any. */
  trustedService?: string;
}

/** Claims of a validated token. */
export interface TokenClaims {
  tid: string;
  oid: string;
  appid: string;
  aud: string;
  iss: string;
  exp: number;
  nbf: number;
  iat: number;
  [k: string]: unknown;
}

export class TokenError extends Error {
  constructor(
    readonly reason: "missing" | "malformed" | "signature" | "expired" | "audience" | "tenant" | "notYetValid",
    message: string,
    readonly detail: { aud?: string; exp?: number } = {},
  ) {
    super(message);
  }
}

const SIGNING_KEY_FILE = "token-signing-key.pem";
const TOKEN_LIFETIME_S = 3600;

/** Turns an OAuth2 scope (`https://x/.default`, `https://management.core.windows.net//.default`) into the v1 resource. */
export function resourceFromScope(scope: string): string {
  const first = scope.split(/\s+/).find((s) => s.endsWith("/.default")) ?? scope.split(/\s+/)[0] ?? "";
  return first.endsWith("/.default") ? first.slice(0, -"/.default".length) : first;
}

export class IdentityService {
  private jwks: ReturnType<typeof createLocalJWKSet> | undefined;
  /** Payloads of tokens whose signature verified, by compact token (bounded). */
  private readonly verified = new Map<string, TokenClaims>();
  /** The token {@link knownPayload} found last, and its payload. */
  private lastKnown: { token: string; payload: TokenClaims } | undefined;
  /**
   * Principals by object id, dropped at the store's next write: every data-plane request looks its caller up, and
   * a principal created or removed is seen by the next request.
   */
  private readonly principals: StoreVersionCache<Principal | undefined>;

  private constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly tenantId: string,
    private readonly privateKey: CryptoKey,
    readonly jwk: JWK,
    private readonly kid: string,
  ) {
    this.principals = new StoreVersionCache<Principal | undefined>(store, 10_000);
  }

  /**
   * Loads (or creates, mode 0600) the token signing key in `dataDir` and makes sure the default managed identity exists.
   */
  static async open(store: Store, clock: Clock, dataDir: string, tenantId: string): Promise<IdentityService> {
    const keyPath = join(dataDir, SIGNING_KEY_FILE);
    let pem: string;
    if (existsSync(keyPath)) {
      pem = readFileSync(keyPath, "utf8");
    } else {
      pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
        type: "pkcs8",
        format: "pem",
      }) as string;
      writeFileSync(keyPath, pem, { mode: 0o600 });
      chmodSync(keyPath, 0o600);
    }
    const privateKey = await importPKCS8(pem, "RS256", { extractable: true });
    const full = await exportJWK(privateKey);
    const kid = createHash("sha256").update(String(full.n)).digest("base64url").slice(0, 27);
    const jwk: JWK = { kty: "RSA", use: "sig", alg: "RS256", kid, n: full.n, e: full.e };
    const svc = new IdentityService(store, clock, tenantId, privateKey, jwk, kid);
    svc.ensureDefaultIdentity();
    return svc;
  }

  /** Inserts the default managed identity unless present (at start, and after `hsmlink state reset`). */
  ensureDefaultIdentity(): void {
    this.store.principals.ensureManagedIdentity(
      WELL_KNOWN.principalObjectId,
      WELL_KNOWN.principalAppId,
      "hsmlink-default-identity",
      this.clock.now(),
    );
  }

  /** The identity `az login --identity` and `ManagedIdentityCredential` obtain. */
  defaultIdentity(): Principal {
    return this.byObjectId(WELL_KNOWN.principalObjectId)!;
  }

  /** The principal with object id `oid` (any case), or undefined; the returned object is frozen (it may be shared). */
  byObjectId(oid: string): Principal | undefined {
    return this.principals.get(oid, () => {
      const row = this.store.principals.byObjectId(oid);
      return row ? Object.freeze(this.toPrincipal(row)) : undefined;
    });
  }

  byAppId(appId: string): Principal | undefined {
    const row = this.store.principals.byAppId(appId);
    return row ? this.toPrincipal(row) : undefined;
  }

  list(): Principal[] {
    return this.store.principals.list().map((r) => this.toPrincipal(r));
  }

  /**
   * Creates a service principal with a fresh client secret (shown once; only its scrypt hash is stored).
   * @param trustedService resource provider namespace whose trusted-service identity this is (e.g. Microsoft.Storage)
   * @param fixed ids and secret to use instead of fresh ones (seed files: the same app id and secret on every run)
   * @throws Error when a principal with that display name (or a fixed id) exists, or a fixed value is malformed
   */
  createServicePrincipal(
    displayName: string,
    trustedService?: string,
    fixed: { appId?: string; objectId?: string; secret?: string } = {},
  ): { principal: Principal; password: string } {
    let service: string | undefined;
    if (trustedService !== undefined) {
      service = trustedServiceNamespace(trustedService);
      if (!service)
        throw new Error(
          `'${trustedService}' is not a trusted Microsoft service for Managed HSM (the Key Vault trusted-services table); use one of: ${MANAGED_HSM_TRUSTED_SERVICES.join(", ")}`,
        );
    }
    if (!/^[\w.-]{1,120}$/.test(displayName))
      throw new Error(`invalid identity name '${displayName}': use letters, digits, '.', '-' or '_' (at most 120)`);
    if (this.store.principals.displayNameTaken(displayName))
      throw new Error(`an identity named '${displayName}' already exists`);
    const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    for (const k of ["appId", "objectId"] as const) {
      const v = fixed[k];
      if (v === undefined) continue;
      if (!guid.test(v)) throw new Error(`${k} '${v}' is not a GUID`);
      const taken =
        k === "appId"
          ? this.store.principals.byAppId(v.toLowerCase())
          : this.store.principals.byObjectId(v.toLowerCase());
      if (taken) throw new Error(`a principal with ${k} ${v} already exists`);
    }
    if (fixed.secret !== undefined && fixed.secret.length < 8)
      throw new Error("the secret must have at least 8 characters");
    const objectId = fixed.objectId?.toLowerCase() ?? newGuid();
    const appId = fixed.appId?.toLowerCase() ?? newGuid();
    const password = fixed.secret ?? randomBytes(24).toString("base64url");
    const salt = randomBytes(16);
    const hash = `${salt.toString("hex")}:${scryptSync(password, salt, 32).toString("hex")}`;
    this.store.tx(() =>
      this.store.principals.insertServicePrincipal(
        objectId,
        appId,
        displayName,
        hash,
        service ?? null,
        this.clock.now(),
      ),
    );
    return { principal: this.byObjectId(objectId)!, password };
  }

  /** Checks a client secret; returns the principal or undefined (never says which part was wrong). */
  authenticateClient(clientId: string, secret: string): Principal | undefined {
    const row = this.store.principals.servicePrincipalByAppId(String(clientId));
    if (!row?.secret_hash) return undefined;
    const [saltHex, hashHex] = row.secret_hash.split(":");
    const actual = scryptSync(String(secret), Buffer.from(saltHex, "hex"), 32);
    return timingSafeEqual(actual, Buffer.from(hashHex, "hex")) ? this.toPrincipal(row) : undefined;
  }

  /**
   * Issues an access token for `principal` and `resource` (audience). Lifetime one hour.
   * @returns the compact JWT and its expiry in epoch seconds
   */
  async issue(
    principal: Principal,
    resource: string,
  ): Promise<{ token: string; expiresOn: number; expiresIn: number }> {
    const now = Math.floor(this.clock.now() / 1000);
    const exp = now + TOKEN_LIFETIME_S;
    const token = await new SignJWT({
      tid: principal.tenantId,
      oid: principal.objectId,
      sub: principal.objectId,
      appid: principal.appId,
      appidacr: principal.kind === "ServicePrincipal" ? "1" : "2",
      idtyp: "app",
      ver: "1.0",
    })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.kid })
      .setIssuer(`https://sts.windows.net/${principal.tenantId}/`)
      .setAudience(resource)
      .setIssuedAt(now)
      .setNotBefore(now - 300)
      .setExpirationTime(exp)
      .sign(this.privateKey);
    return { token, expiresOn: exp, expiresIn: TOKEN_LIFETIME_S };
  }

  /**
   * Validates a bearer token: signature (this emulator's key), expiry, audience among `audiences`, and tenant.
   * @throws TokenError with the reason, for the surface to render as its 401
   */
  async verify(
    token: string | undefined,
    audiences: readonly string[],
  ): Promise<{ claims: TokenClaims; principal: Principal }> {
    if (!token) throw new TokenError("missing", "The request is missing a bearer token.");
    let payload = this.knownPayload(token);
    if (!payload)
      try {
        this.jwks ??= createLocalJWKSet({ keys: [this.jwk] });
        ({ payload } = (await jwtVerify(token, this.jwks, {
          currentDate: new Date(this.clock.now()),
          clockTolerance: 0,
          requiredClaims: ["exp", "iss"],
        })) as unknown as { payload: TokenClaims });
        // Entra's tokens always carry a lifetime (nbf/iat, exp) and the issuer; one signed by this key without them
        // is refused as Entra-trusting services refuse it (Microsoft.IdentityModel IDX10225 / IDX10211).
        if (payload.nbf === undefined && payload.iat === undefined)
          throw new TokenError(
            "malformed",
            "IDX10225: Lifetime validation failed. The token has neither a NotBefore (nbf) nor an IssuedAt (iat) time.",
          );
        const tid = String(payload.tid).toLowerCase();
        const issuers = [`https://sts.windows.net/${tid}/`, `https://login.microsoftonline.com/${tid}/v2.0`];
        if (!issuers.includes(String(payload.iss).toLowerCase()))
          throw new TokenError("tenant", `IDX10205: Issuer validation failed. Issuer: '${payload.iss}'.`);
        if (this.verified.size >= 1000) this.verified.clear();
        this.verified.set(token, Object.freeze(payload));
      } catch (e) {
        if (e instanceof TokenError) throw e;
        if (e instanceof joseErrors.JWTClaimValidationFailed && e.reason === "missing") {
          throw new TokenError(
            "malformed",
            e.claim === "exp"
              ? "IDX10225: Lifetime validation failed. The token is missing an Expiration Time."
              : "IDX10211: Unable to validate issuer. The 'issuer' parameter is null or whitespace.",
          );
        }
        if (e instanceof joseErrors.JWTExpired) {
          const exp = Number((e.payload as { exp?: number }).exp);
          throw new TokenError("expired", "The access token has expired.", { exp });
        }
        if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === "nbf")
          throw new TokenError("notYetValid", "The access token is not yet valid.");
        if (
          e instanceof joseErrors.JWSSignatureVerificationFailed ||
          e instanceof joseErrors.JWKSNoMatchingKey ||
          e instanceof joseErrors.JOSEAlgNotAllowed
        ) {
          throw new TokenError("signature", "The access token signature is invalid.");
        }
        throw new TokenError("malformed", "The access token is malformed.");
      }
    return this.accept(payload, audiences);
  }

  /**
   * {@link verify} for a token whose signature already verified and whose time claims still pass, without waiting:
   * the data plane's hot path. Same checks, same errors.
   * @returns undefined when the token is not one of those (then call verify, which gives the exact outcome)
   * @throws TokenError as verify does (audience, tenant, unknown principal)
   */
  verifyKnown(
    token: string | undefined,
    audiences: readonly string[],
  ): { claims: TokenClaims; principal: Principal } | undefined {
    const payload = token ? this.knownPayload(token) : undefined;
    return payload && this.accept(payload, audiences);
  }

  /**
   * The payload of a token whose signature verified once (the signing key never changes), if its time claims still
   * pass; one that no longer passes them is forgotten and goes through jose again for the exact error.
   */
  private knownPayload(token: string): TokenClaims | undefined {
    // A client sends the same token request after request: comparing it with the last one found is cheaper than
    // hashing its thousand characters for the map.
    const known = token === this.lastKnown?.token ? this.lastKnown.payload : this.verified.get(token);
    if (!known) return undefined;
    const now = Math.floor(this.clock.now() / 1000);
    if ((known.nbf === undefined || known.nbf <= now) && (known.exp === undefined || known.exp > now)) {
      this.lastKnown = { token, payload: known };
      return known;
    }
    this.verified.delete(token);
    this.lastKnown = undefined;
    return undefined;
  }

  /** The audience, tenant and principal checks of a token whose signature and lifetime passed. */
  private accept(payload: TokenClaims, audiences: readonly string[]): { claims: TokenClaims; principal: Principal } {
    const aud = String(payload.aud);
    const norm = (s: string) => s.replace(/\/+$/, "").toLowerCase();
    const wanted = norm(aud);
    if (!audiences.some((a) => norm(a) === wanted)) throw new TokenError("audience", `wrong audience ${aud}`, { aud });
    if (String(payload.tid).toLowerCase() !== this.tenantId.toLowerCase())
      throw new TokenError("tenant", `token issued for tenant ${payload.tid}`);
    const principal = this.byObjectId(String(payload.oid));
    if (!principal) throw new TokenError("signature", "The principal of the token does not exist.");
    return { claims: payload, principal };
  }

  private toPrincipal(row: PrincipalRow): Principal {
    return {
      objectId: row.object_id,
      appId: row.app_id,
      tenantId: this.tenantId,
      displayName: row.display_name,
      kind: row.kind as Principal["kind"],
      trustedService: row.trusted_service ?? undefined,
    };
  }
}
