/**
 * Key rotation policies (data-plane.md §2.1 KeyRotationPolicy, §2.3; MicrosoftDocs `managed-hsm/key-rotation.md`):
 * ISO-8601 durations, validation (expiryTime ≥ P28D, timeAfterCreate ≥ P28D, timeBeforeExpiry ≥ P7D and shorter
 * than expiryTime, one trigger per action, action Rotate|Notify case-insensitive) and the wire shape.
 */
import { kvErrors } from "../errors.js";
import type { StoredRotationPolicy } from "../store.js";

const DAY = 86400;
const DURATION_RE = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * Seconds in an ISO-8601 duration (`P90D`, `P1Y`, `P2M`, `P1W`, `PT12H`); a year counts 365 days and a month
 * 30 days. Returns undefined for anything else.
 */
export function durationSeconds(d: string): number | undefined {
  const m = DURATION_RE.exec(d.toUpperCase());
  if (!m) return undefined;
  const [y, mo, w, dd, h, mi, s] = m.slice(1).map((x) => (x ? Number(x) : 0));
  return (y * 365 + mo * 30 + w * 7 + dd) * DAY + h * 3600 + mi * 60 + s;
}

function duration(field: string, v: unknown, minDays: number): string {
  if (typeof v !== "string") throw kvErrors.rotationDurationNotString(field);
  const secs = durationSeconds(v);
  if (secs === undefined) throw kvErrors.rotationDurationInvalid(field, v);
  if (secs < minDays * DAY) throw kvErrors.rotationDurationTooShort(field, minDays, v);
  return v;
}

/**
 * Parses a KeyRotationPolicy body into what is stored; `created` is kept from `existing`.
 * @param nowS epoch seconds
 * @throws 400 BadParameter for every rule above
 */
export function parseRotationPolicy(
  body: Record<string, unknown>,
  existing: StoredRotationPolicy | undefined,
  nowS: number,
): StoredRotationPolicy {
  const rawActions = body.lifetimeActions ?? [];
  if (!Array.isArray(rawActions)) throw kvErrors.rotationActionsNotArray();
  if (rawActions.length > 2) throw kvErrors.rotationTooManyActions();
  const attrs = body.attributes ?? {};
  if (attrs === null || typeof attrs !== "object" || Array.isArray(attrs)) throw kvErrors.rotationAttributesNotObject();
  const expiryRaw = (attrs as Record<string, unknown>).expiryTime;
  const expiryTime =
    expiryRaw === undefined || expiryRaw === null ? undefined : duration("attributes.expiryTime", expiryRaw, 28);
  const lifetimeActions = rawActions.map((a: unknown, i: number) => {
    if (a === null || typeof a !== "object") throw kvErrors.rotationActionNotObject(i);
    const { trigger, action } = a as { trigger?: Record<string, unknown>; action?: { type?: unknown } };
    const type = typeof action?.type === "string" ? action.type.toLowerCase() : undefined;
    if (type !== "rotate" && type !== "notify") throw kvErrors.rotationActionType(i);
    if (!trigger || typeof trigger !== "object") throw kvErrors.rotationTriggerRequired(i);
    const hasAfter = trigger.timeAfterCreate !== undefined && trigger.timeAfterCreate !== null;
    const hasBefore = trigger.timeBeforeExpiry !== undefined && trigger.timeBeforeExpiry !== null;
    if (hasAfter === hasBefore) throw kvErrors.rotationTriggerExactlyOne(i);
    const t: { timeAfterCreate?: string; timeBeforeExpiry?: string } = {};
    if (hasAfter)
      t.timeAfterCreate = duration(`lifetimeActions[${i}].trigger.timeAfterCreate`, trigger.timeAfterCreate, 28);
    if (hasBefore) {
      t.timeBeforeExpiry = duration(`lifetimeActions[${i}].trigger.timeBeforeExpiry`, trigger.timeBeforeExpiry, 7);
      if (expiryTime && durationSeconds(t.timeBeforeExpiry)! >= durationSeconds(expiryTime)!) {
        throw kvErrors.rotationBeforeExpiryTooLong(i, t.timeBeforeExpiry, expiryTime);
      }
    }
    return { trigger: t, action: { type: type === "rotate" ? "Rotate" : "Notify" } };
  });
  if (lifetimeActions.filter((a) => a.action.type === "Rotate").length > 1) throw kvErrors.rotationTooManyRotate();
  return {
    lifetimeActions,
    attributes: { ...(expiryTime ? { expiryTime } : {}), created: existing?.attributes.created ?? nowS, updated: nowS },
  };
}

/**
 * The wire KeyRotationPolicy as a real managed HSM answers PUT and GET: `id` is the relative
 * `keys/{name}/rotationpolicy` (not Key Vault's full URL) and the action type is lower-case (`rotate` for a
 * request's `Rotate`) — recorded in Azure/azure-sdk-assets python/sdk/keyvault/azure-keyvault-keys/tests/recordings/
 * test_key_client.pyTestKeyClienttest_key_rotation_policy[7.5_mhsm].json (2026). A key without a policy shows an
 * empty one with the same id (hsmlink's choice: no recording of that GET on a managed HSM; Managed HSM has no Notify
 * default as Key Vault does).
 * @param name the key's name
 */
export function renderRotationPolicy(name: string, p: StoredRotationPolicy | undefined): Record<string, unknown> {
  const id = `keys/${name}/rotationpolicy`;
  if (!p) return { id, lifetimeActions: [], attributes: {} };
  const lifetimeActions = p.lifetimeActions.map((a) => ({
    trigger: a.trigger,
    action: { type: a.action.type.toLowerCase() },
  }));
  return { id, lifetimeActions, attributes: p.attributes };
}
