/**
 * The subscriptions of the emulated tenant: the default one (settings `subscriptionId`) and those made with
 * `hsmlink subscription create NAME`. Resources, names and quotas are per subscription, as in Azure, because every
 * resource id starts with its subscription.
 *
 * Who owns a new subscription (hsmlink's choice): the default managed identity (`az login --identity`) gets Owner on
 * every subscription hsmlink creates, as the account administrator of a new Azure subscription does; service
 * principals get nothing until someone assigns them a role.
 */
import type { Store } from "../store/db.js";
import { newGuid } from "../kernel/ids.js";
import { OWNER } from "../kernel/azure-roles.js";
import { insertRoleAssignment } from "../store/role-assignments.js";
import { insertSubscription, subscriptionRow, subscriptionRows, type Subscription } from "../store/subscriptions.js";

/** Why a subscription could not be created: a bad name or id (`invalid`), or one that is taken (`conflict`). */
export class SubscriptionError extends Error {
  constructor(
    readonly kind: "invalid" | "conflict",
    message: string,
  ) {
    super(message);
  }
}

export type { Subscription };

/** Every subscription, oldest first. */
export function listSubscriptions(store: Store): Subscription[] {
  return subscriptionRows(store);
}

/** The subscription with this id (any casing), or undefined. */
export function getSubscription(store: Store, subscriptionId: string): Subscription | undefined {
  return subscriptionRow(store, subscriptionId);
}

/**
 * Creates a subscription and makes `ownerObjectId` its Owner, in one transaction.
 * @param subscriptionId a GUID; a new one when omitted
 * @throws SubscriptionError `invalid` when the display name is empty or longer than 64 characters or the id is not a
 *   GUID; `conflict` when the id or the name is taken
 */
export function createSubscription(
  store: Store,
  opts: { displayName: string; subscriptionId?: string; ownerObjectId: string; now: number },
): Subscription {
  const name = opts.displayName.trim();
  if (!name || name.length > 64)
    throw new SubscriptionError("invalid", "a subscription name must have 1 to 64 characters");
  const id = (opts.subscriptionId ?? newGuid()).toLowerCase();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id))
    throw new SubscriptionError("invalid", `subscription id '${opts.subscriptionId}' is not a GUID`);
  return store.tx(() => {
    if (getSubscription(store, id)) throw new SubscriptionError("conflict", `subscription ${id} already exists`);
    if (listSubscriptions(store).some((s) => s.displayName.toLowerCase() === name.toLowerCase()))
      throw new SubscriptionError("conflict", `a subscription named '${name}' already exists`);
    insertSubscription(store, { subscriptionId: id, displayName: name, createdAt: opts.now });
    insertRoleAssignment(store.db, {
      scope: `/subscriptions/${id}`,
      name: newGuid(),
      roleDefinitionGuid: OWNER,
      principalId: opts.ownerObjectId,
      principalType: "ServicePrincipal",
      subscriptionId: id,
      createdBy: null,
      now: opts.now,
    });
    return { subscriptionId: id, displayName: name, createdAt: opts.now };
  });
}

/** Makes sure the default subscription exists (first start of a data dir, or a data dir from before subscriptions were stored). */
export function ensureDefaultSubscription(
  store: Store,
  opts: { subscriptionId: string; ownerObjectId: string; now: number },
): void {
  if (getSubscription(store, opts.subscriptionId)) return;
  createSubscription(store, {
    displayName: "hsmlink emulated subscription",
    subscriptionId: opts.subscriptionId,
    ownerObjectId: opts.ownerObjectId,
    now: opts.now,
  });
}
