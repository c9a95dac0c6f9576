// The route table: method + path template → value, literal segments before parameters before catch-alls.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RouteTable } from "../../../src/kernel/route-table.js";

const table = () =>
  new RouteTable<string>()
    .add("GET", "/keys", "list")
    .add("GET", "/keys/{name}/versions", "versions")
    .add("GET", "/keys/{name}/{version?}", "get")
    .add("PATCH", "/keys/{name}/{version?}", "update")
    .add("PUT", "/keys/{name}/rotationpolicy", "set-policy")
    .add("POST", "/keys/{name}/{version?}/sign", "sign")
    .add("GET", "/{*scope}/providers/Microsoft.Authorization/roleAssignments/{name}", "assignment");

test("literals win over parameters; an optional segment matches with and without it; literals ignore case", () => {
  const t = table();
  assert.deepEqual(t.match("GET", "/keys/k1/versions"), { value: "versions", params: { name: "k1" } });
  assert.deepEqual(t.match("GET", "/KEYS/k1"), { value: "get", params: { name: "k1" } });
  assert.deepEqual(t.match("GET", "/keys/k1/v2"), { value: "get", params: { name: "k1", version: "v2" } });
  assert.deepEqual(t.match("post", "/keys/k1/v2/SIGN"), { value: "sign", params: { name: "k1", version: "v2" } });
  assert.deepEqual(t.match("POST", "/keys/k1/sign"), { value: "sign", params: { name: "k1" } });
});

test("a literal branch that does not serve the method falls back to the parameter branch", () => {
  assert.deepEqual(table().match("PATCH", "/keys/k1/rotationpolicy"), {
    value: "update",
    params: { name: "k1", version: "rotationpolicy" },
  });
});

test("a catch-all takes any number of leading segments, also none", () => {
  const t = table();
  assert.deepEqual(t.match("GET", "/providers/Microsoft.Authorization/roleAssignments/a1"), {
    value: "assignment",
    params: { scope: "", name: "a1" },
  });
  assert.deepEqual(t.match("GET", "/keys/k1/providers/microsoft.authorization/roleassignments/a1"), {
    value: "assignment",
    params: { scope: "/keys/k1", name: "a1" },
  });
});

test("no match: undefined; a path served only for other methods: 'method'; empty segments never match a parameter", () => {
  const t = table();
  assert.equal(t.match("GET", "/secrets"), undefined);
  assert.equal(t.match("DELETE", "/keys"), "method");
  assert.equal(t.match("GET", "/keys/"), undefined);
  assert.equal(t.match("GET", "/keys//versions"), undefined);
});

test("a method and template registered twice is an error", () => {
  assert.throws(() => table().add("GET", "/keys", "again"), /registered twice/);
});
