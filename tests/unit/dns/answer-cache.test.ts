// DNS answers are reused only while the store is unchanged: the next query after any write is answered afresh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Store } from "../../../src/store/db.js";
import { cacheAnswersByStoreVersion } from "../../../src/dns/answer-cache.js";

test("same question, no write: one resolution; after a write: resolved again; names compare case-insensitively", () => {
  const store = Store.open(":memory:");
  let calls = 0;
  const cached = cacheAnswersByStoreVersion(store, (qname) => {
    calls++;
    return {
      rcode: "NOERROR",
      answers: [{ name: qname, type: "A", ttl: 60, data: `10.0.0.${calls}` }],
      authority: [],
      trace: [],
    };
  });
  assert.equal(cached("h.managedhsm.azure.net", "A").answers[0].data, "10.0.0.1");
  assert.equal(cached("H.ManagedHSM.azure.net", "A").answers[0].data, "10.0.0.1");
  assert.equal(calls, 1);
  cached("h.managedhsm.azure.net", "AAAA");
  assert.equal(calls, 2);
  store.tx(() =>
    store.resources.put(
      {
        id: "/subscriptions/s/resourceGroups/rg",
        type: "Microsoft.Resources/resourceGroups",
        name: "rg",
        subscriptionId: "s",
        resourceGroup: "rg",
        body: {},
      },
      0,
    ),
  );
  assert.equal(cached("h.managedhsm.azure.net", "A").answers[0].data, "10.0.0.3");
  store.close();
});
