// The topology picture at 200 VNets (issue 13: "usable at 200 VNets"), in a real browser: 200 VNets with a subnet
// each, all linked to the privatelink zone, 100 peerings, 60 private endpoints (of the 64 Azure allows per HSM)
// to one managed HSM, built through hsmlink's ARM API. The page must draw every VNet, link, peering and
// connection and stay selectable; the draw times (folded and with every subnet) are reported as diagnostics only.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";
import { launchChromium, type Browser } from "../support/browser.js";
import { startTestHsmlink, type TestHsmlink } from "../support/hsmlink.js";
import { NetClient } from "../http/network/net-client.js";
import { portalUrl } from "../../src/cli/portal.js";
import { clientSuite } from "../support/clients.js";

const { test, before, after } = clientSuite("chromium");
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/portal/", import.meta.url));
const VNETS = 200;
const PES = 60;
const RG = "rg-scale";
const ZONE = "privatelink.managedhsm.azure.net";

let h: TestHsmlink;
let browser: Browser | undefined;
let page: Page;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  h = await startTestHsmlink();
  const net = new NetClient(h);
  await net.group(RG);
  const hsmId = await net.hsm(RG, "scalehsm");
  const zoneId = `/subscriptions/${net.sub}/resourceGroups/${RG}/providers/Microsoft.Network/privateDnsZones/${ZONE}`;
  const zone = await net.call("PUT", zoneId, { body: { location: "global" }, apiVersion: "2020-06-01" });
  assert.ok(zone.status < 300, zone.text);
  for (let i = 0; i < VNETS; i++) {
    const v = await net.vnet(RG, `vnet${i}`, {
      prefixes: [`10.${i}.0.0/16`],
      subnets: [{ name: "snet1", prefix: `10.${i}.1.0/24` }],
    });
    const link = await net.call("PUT", `${zoneId}/virtualNetworkLinks/link${i}`, {
      body: { location: "global", properties: { virtualNetwork: { id: v.id }, registrationEnabled: false } },
      apiVersion: "2020-06-01",
    });
    assert.ok(link.status < 300, link.text);
    if (i % 2 === 1)
      await net.put(`${net.vnetPath(RG, `vnet${i}`)}/virtualNetworkPeerings/to-vnet${i - 1}`, {
        properties: { remoteVirtualNetwork: { id: net.vnetPath(RG, `vnet${i - 1}`) }, allowVirtualNetworkAccess: true },
      });
    if (i < PES)
      await net.put(
        net.pePath(RG, `pe${i}`),
        net.peBody({ subnetId: net.subnetPath(RG, `vnet${i}`, "snet1"), hsmId, conn: `conn${i}`, manual: i % 3 === 0 }),
      );
  }
  browser = await launchChromium();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  await h?.dispose();
});

test(
  `${VNETS} VNets: every VNet, link, peering and connection is drawn and a VNet can be selected`,
  { timeout: 300_000 },
  async (t) => {
    const started = Date.now();
    await page.goto(portalUrl(h.config.dataDir));
    await page.waitForFunction(() => document.body.dataset.topologyMs !== undefined, undefined, { timeout: 120_000 });
    const folded = Date.now() - started;
    assert.equal(await page.locator('svg g.node[data-kind="vnet"]').count(), VNETS);
    assert.equal(await page.locator('svg g.edge[data-kind="zone-link"]').count(), VNETS);
    assert.equal(await page.locator('svg g.edge[data-kind="peering"]').count(), VNETS / 2);
    assert.equal(await page.locator('svg g.edge[data-kind="connection"]').count(), PES);
    assert.equal(await page.locator('svg g.edge[data-kind="connection"][data-state="Pending"]').count(), PES / 3);
    assert.equal(await page.locator("#topology-note").isVisible(), true, "the page says subnets and VMs are folded");
    await page.screenshot({ path: join(ARTIFACTS, "scale-200-vnets.png") });

    // The frame opens on the HSM, and "Find" (keyboard only) reaches any of the 200 VNets.
    assert.ok(await page.locator('svg g.node[data-kind="managed-hsm"]').isVisible());
    await page.locator("#find").fill("vnet137");
    await page.locator("#find").press("Enter");
    await page.locator("#details-json").filter({ hasText: '"10.137.0.0/16"' }).waitFor();
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset?.name), "vnet137");
    await page.locator('svg g.node[data-name="vnet137"]').screenshot({ path: join(ARTIFACTS, "scale-vnet137.png") });

    await page.evaluate(() => delete document.body.dataset.topologyMs);
    const expandStarted = Date.now();
    await page.locator("#expand-all").check();
    await page.waitForFunction(() => document.body.dataset.topologyMs !== undefined, undefined, { timeout: 240_000 });
    const expanded = Date.now() - expandStarted;
    assert.equal(await page.locator('svg g.node[data-kind="subnet"]').count(), VNETS);
    const message = `${VNETS} VNets, ${PES} private endpoints: page open to folded picture ${folded} ms; redraw with every subnet ${expanded} ms`;
    t.diagnostic(message);
    process.stderr.write(`portal scale (diagnostic): ${message}\n`);
  },
);
