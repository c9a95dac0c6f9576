/**
 * Wire shapes of the Managed HSM keys API (data-plane.md §2.1; REST spec `stable/7.5/keys.json`): parsing and
 * validating request fields into typed values, and rendering KeyBundle / KeyItem / DeletedKeyBundle /
 * DeletedKeyItem. Binary fields are base64url without padding; times are epoch seconds. Never renders private
 * key material.
 */
import { kvErrors } from "../errors.js";
import { recoveryLevel, type HsmInfo } from "../hsm.js";
import type { KeyNameRecord, KeyVersionRecord, StoredKeyAttributes, StoredReleasePolicy } from "../store.js";

/** Key names: `^[0-9a-zA-Z-]+$` (spec pattern), at most 127 characters. */
export const KEY_NAME_RE = /^[0-9a-zA-Z-]{1,127}$/;
/** Key versions: 32 lower-case hex characters. */
export const VERSION_RE = /^[0-9a-fA-F]{32}$/;

/** Every key operation name the JsonWebKeyOperation enum knows. */
export const KEY_OPERATIONS: readonly string[] = Object.freeze([
  "encrypt",
  "decrypt",
  "sign",
  "verify",
  "wrapKey",
  "unwrapKey",
  "import",
  "export",
]);

export const MAX_TAGS = 15;
export const MAX_TAG_LENGTH = 256;
export const RELEASE_POLICY_CONTENT_TYPE = "application/json; charset=utf-8";

/** Per-request facts the renderers need. */
export interface KeyContext {
  hsm: HsmInfo;
  /** Externally visible base URL, `https://{host}[:port]`, no trailing slash. */
  baseUrl: string;
  /** Now, epoch seconds. */
  nowS: number;
  apiVersion: string;
}

const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Decodes a base64url field (padding tolerated).
 * @throws 400 BadParameter naming the field when the value is not a base64url string
 */
export function b64urlField(name: string, value: unknown, opts: { required?: boolean } = {}): Buffer | undefined {
  if (value === undefined || value === null) {
    if (opts.required) throw kvErrors.parameterRequired(name);
    return undefined;
  }
  if (typeof value !== "string" || !B64URL.test(value) || value.replace(/=+$/, "").length % 4 === 1) {
    throw kvErrors.parameterNotBase64Url(name);
  }
  return Buffer.from(value, "base64url");
}

/** Validates a key name from the path. @throws 400 BadParameter */
export function checkKeyName(name: string): void {
  if (KEY_NAME_RE.test(name)) return;
  // Show the name as the caller wrote it, not as it travelled percent-encoded in the path.
  let shown = name;
  try {
    shown = decodeURIComponent(name);
  } catch {
    /* keep the raw form */
  }
  throw kvErrors.invalidKeyName(shown.length > 140 ? shown.slice(0, 140) + "…" : shown);
}

/** Requires a JSON object body. @throws 400 BadParameter */
export function objectBody(body: unknown, what: string): Record<string, unknown> {
  if (body === undefined) throw kvErrors.requestBodyMissing(what);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw kvErrors.requestBodyNotObject(what);
  return body as Record<string, unknown>;
}

function optionalTime(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw kvErrors.attributeNotEpochSeconds(name);
  return v;
}

/** KeyAttributes from a request: `enabled`, `nbf`, `exp`, `exportable` (read-only fields are ignored). */
export interface RequestedAttributes {
  enabled?: boolean;
  nbf?: number | null;
  exp?: number | null;
  exportable?: boolean;
}

/** Parses `attributes`. @throws 400 BadParameter for wrong types or nbf ≥ exp */
export function parseAttributes(raw: unknown): RequestedAttributes {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw kvErrors.attributesNotObject();
  const a = raw as Record<string, unknown>;
  const out: RequestedAttributes = {};
  if (a.enabled !== undefined && a.enabled !== null) {
    if (typeof a.enabled !== "boolean") throw kvErrors.attributeNotBoolean("enabled");
    out.enabled = a.enabled;
  }
  if ("nbf" in a) out.nbf = optionalTime("nbf", a.nbf) ?? null;
  if ("exp" in a) out.exp = optionalTime("exp", a.exp) ?? null;
  if (a.exportable !== undefined && a.exportable !== null) {
    if (typeof a.exportable !== "boolean") throw kvErrors.attributeNotBoolean("exportable");
    out.exportable = a.exportable;
  }
  if (typeof out.nbf === "number" && typeof out.exp === "number" && out.nbf >= out.exp)
    throw kvErrors.nbfNotBeforeExp();
  return out;
}

/** Parses `tags`: string → string, at most 15, names and values at most 256 characters. @throws 400 BadParameter */
export function parseTags(raw: unknown): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw kvErrors.tagsNotObject();
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > MAX_TAGS) throw kvErrors.tooManyTags(entries.length, MAX_TAGS);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== "string") throw kvErrors.tagValueNotString(k);
    if (k.length === 0 || k.length > MAX_TAG_LENGTH) throw kvErrors.tagNameLength(MAX_TAG_LENGTH);
    if (v.length > MAX_TAG_LENGTH) throw kvErrors.tagValueLength(k, MAX_TAG_LENGTH);
    out[k] = v;
  }
  return out;
}

/** Parses `key_ops`. @throws 400 BadParameter for a non-array or an unknown operation */
export function parseKeyOps(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw kvErrors.keyOpsNotArray();
  const out: string[] = [];
  for (const op of raw) {
    if (typeof op !== "string" || !KEY_OPERATIONS.includes(op)) {
      throw kvErrors.keyOpInvalid(typeof op === "string" ? `'${op.slice(0, 40)}'` : String(op), KEY_OPERATIONS);
    }
    if (!out.includes(op)) out.push(op);
  }
  return out;
}

type PolicyNode = Record<string, unknown>;

/** Normalises one release-policy node the way the service stores it (data-plane.md §2.3). */
function normaliseNode(node: unknown, depth: number): unknown {
  if (depth > 16) throw kvErrors.releasePolicyTooDeep();
  if (Array.isArray(node)) return node.map((n) => normaliseNode(n, depth + 1));
  if (node === null || typeof node !== "object") return node;
  const n = node as PolicyNode;
  const out: PolicyNode = {};
  if (typeof n.claim === "string" && typeof n.condition === "string" && "value" in n) {
    out.claim = n.claim;
    out[n.condition] = n.value;
    for (const [k, v] of Object.entries(n))
      if (!["claim", "condition", "value"].includes(k)) out[k] = normaliseNode(v, depth + 1);
    return out;
  }
  for (const [k, v] of Object.entries(n)) out[k] = normaliseNode(v, depth + 1);
  return out;
}

/**
 * Parses and normalises a `release_policy` ({contentType?, immutable?, data: base64url(JSON)}): legacy
 * `{claim, condition:"equals", value}` becomes `{claim, equals}`, version "1.0" becomes "1.0.0".
 * @throws 400 BadParameter when `data` is missing, not base64url, not a JSON object, or has no anyOf/allOf
 */
export function parseReleasePolicy(raw: unknown): StoredReleasePolicy | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw kvErrors.releasePolicyNotObject();
  const r = raw as Record<string, unknown>;
  if (
    r.contentType !== undefined &&
    r.contentType !== null &&
    (typeof r.contentType !== "string" || !/^application\/json/i.test(r.contentType))
  ) {
    throw kvErrors.releasePolicyContentType();
  }
  if (r.immutable !== undefined && r.immutable !== null && typeof r.immutable !== "boolean")
    throw kvErrors.releasePolicyImmutableNotBoolean();
  const data = b64urlField("release_policy.data", r.data, { required: true })!;
  let policy: unknown;
  try {
    policy = JSON.parse(data.toString("utf8"));
  } catch {
    throw kvErrors.releasePolicyNotJson();
  }
  if (policy === null || typeof policy !== "object" || Array.isArray(policy))
    throw kvErrors.releasePolicyNotJsonObject();
  const p = normaliseNode(policy, 0) as PolicyNode;
  if (!Array.isArray(p.anyOf) && !Array.isArray(p.allOf)) throw kvErrors.releasePolicyNoClauses();
  if (p.version === undefined || p.version === "1.0") p.version = "1.0.0";
  return {
    contentType: RELEASE_POLICY_CONTENT_TYPE,
    immutable: r.immutable === true,
    data: Buffer.from(JSON.stringify(p), "utf8").toString("base64url"),
  };
}

/** The decoded JSON of a stored release policy. */
export function releasePolicyJson(p: StoredReleasePolicy): PolicyNode {
  return JSON.parse(Buffer.from(p.data, "base64url").toString("utf8")) as PolicyNode;
}

// ---- rendering ----

export function keyId(ctx: KeyContext, name: string, version?: string): string {
  return `${ctx.baseUrl}/keys/${name}${version ? `/${version}` : ""}`;
}

function renderAttributes(ctx: KeyContext, a: StoredKeyAttributes): Record<string, unknown> {
  return {
    enabled: a.enabled,
    ...(a.nbf !== undefined ? { nbf: a.nbf } : {}),
    ...(a.exp !== undefined ? { exp: a.exp } : {}),
    created: a.created,
    updated: a.updated,
    recoverableDays: ctx.hsm.retentionDays,
    recoveryLevel: recoveryLevel(ctx.hsm),
    exportable: a.exportable,
  };
}

/** KeyBundle: public JWK with `kid`, attributes, tags (when set), release policy (when set). */
export function renderBundle(
  ctx: KeyContext,
  name: KeyNameRecord,
  v: KeyVersionRecord,
  extraAttributes: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    key: { kid: keyId(ctx, name.name, v.version), kty: v.kty, key_ops: v.keyOps, ...v.publicJwk },
    attributes: { ...renderAttributes(ctx, v.attributes), ...extraAttributes },
    ...(v.tags && Object.keys(v.tags).length ? { tags: v.tags } : {}),
    ...(v.releasePolicy ? { release_policy: v.releasePolicy } : {}),
  };
}

function deletedFields(ctx: KeyContext, name: KeyNameRecord): Record<string, unknown> {
  return {
    recoveryId: `${ctx.baseUrl}/deletedkeys/${name.name}`,
    deletedDate: name.deletedDate,
    scheduledPurgeDate: name.scheduledPurgeDate,
  };
}

/** DeletedKeyBundle = KeyBundle + recoveryId, deletedDate, scheduledPurgeDate. */
export function renderDeletedBundle(
  ctx: KeyContext,
  name: KeyNameRecord,
  v: KeyVersionRecord,
): Record<string, unknown> {
  return { ...deletedFields(ctx, name), ...renderBundle(ctx, name, v) };
}

/** KeyItem: versionless `kid` in key lists, versioned in version lists. */
export function renderItem(
  ctx: KeyContext,
  name: KeyNameRecord,
  v: KeyVersionRecord,
  versioned: boolean,
): Record<string, unknown> {
  return {
    kid: keyId(ctx, name.name, versioned ? v.version : undefined),
    attributes: renderAttributes(ctx, v.attributes),
    ...(v.tags && Object.keys(v.tags).length ? { tags: v.tags } : {}),
  };
}

/** DeletedKeyItem = KeyItem + recoveryId, deletedDate, scheduledPurgeDate. */
export function renderDeletedItem(ctx: KeyContext, name: KeyNameRecord, v: KeyVersionRecord): Record<string, unknown> {
  return { ...deletedFields(ctx, name), ...renderItem(ctx, name, v, false) };
}
