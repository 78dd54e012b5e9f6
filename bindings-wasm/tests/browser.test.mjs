// @ts-check
// The demo page (examples/web/) in headless Chromium: both members go offline, each edits
// their own copy, they come back online, and the page shows the merged state on both sides.
// Leaves a screenshot in test-artifacts/demo.png.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { test } from "node:test";

import { chromium } from "playwright-core";

import { serve } from "../../examples/web/serve.mjs";
import { ROOT } from "./helpers.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

test("two members edit offline, sync, and see the merged state in the page", async () => {
  const server = await serve(0);
  const address = server.address();
  assert.ok(address && typeof address === "object");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    /** @type {string[]} */
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${address.port}/`);
    await page.waitForSelector("body[data-ready=true]");
    const patrick = page.locator("[data-member=Patrick]");
    const claire = page.locator("[data-member=Claire]");

    // Both go offline.
    await patrick.locator(".online").uncheck();
    await claire.locator(".online").uncheck();

    // Patrick, offline: a contact and a meeting about it, with an explicit audience.
    await patrick.locator(".add-contact input[name=name]").fill("Ergonomie Services");
    await patrick.locator(".add-contact button").click();
    await patrick.locator(".add-meeting input[name=title]").fill("Catalogue de printemps");
    await patrick.locator(".add-meeting button").click();
    // Claire, offline: a glossary entry and a contact of her own.
    await claire.locator(".add-entry input[name=term]").fill("Café");
    await claire.locator(".add-entry input[name=definition]").fill("Lieu où l'on se retrouve.");
    await claire.locator(".add-entry button").click();
    await claire.locator(".add-contact input[name=name]").fill("Bureau Vallée");
    await claire.locator(".add-contact button").click();

    await page.locator("#sync").click();
    await page.waitForSelector("body[data-converged=true]");
    // Offline again, both improve the same definition: one in front, one at the end.
    await patrick.locator(".online").uncheck();
    await claire.locator(".online").uncheck();
    await patrick.locator(".edit-sense input").fill("Chaleureux : Lieu où l'on se retrouve.");
    await patrick.locator(".edit-sense button").click();
    await claire.locator(".edit-sense input").fill("Lieu où l'on se retrouve. On y refait le monde.");
    await claire.locator(".edit-sense button").click();
    await patrick.locator(".add-contact input[name=name]").fill("Guillaume Durand");
    await patrick.locator(".add-contact button").click();
    await claire.locator("[data-contact='Ergonomie Services'] select.stage").selectOption("contacted");

    // Offline, neither sees the other's new work.
    assert.equal(await claire.locator("[data-contact='Guillaume Durand']").count(), 0);
    assert.equal(await patrick.locator(".definition").textContent(), "Chaleureux : Lieu où l'on se retrouve.");
    assert.equal(await page.locator("body").getAttribute("data-converged"), "false");

    // Back online: the copies sync and show the same merged state.
    await patrick.locator(".online").check();
    await claire.locator(".online").check();
    await page.waitForSelector("body[data-converged=true]");
    for (const side of [patrick, claire]) {
      assert.equal(await side.locator("[data-contact='Ergonomie Services']").count(), 1);
      assert.equal(await side.locator("[data-contact='Bureau Vallée']").count(), 1);
      assert.equal(await side.locator("[data-contact='Guillaume Durand']").count(), 1);
      assert.equal(await side.locator("[data-term='Café']").count(), 1);
      assert.equal(await side.locator("[data-contact='Ergonomie Services'] select.stage").inputValue(), "contacted");
      assert.equal(await side.locator("[data-event='new → contacted']").count(), 1);
      // Both edits of the definition survive the merge.
      assert.equal(await side.locator(".definition").textContent(), "Chaleureux : Lieu où l'on se retrouve. On y refait le monde.");
      const audience = await side.locator("[data-event='Catalogue de printemps'] .audience").textContent();
      assert.match(audience ?? "", /Patrick/);
      assert.match(audience ?? "", /Claire/);
    }
    mkdirSync(`${ROOT}test-artifacts`, { recursive: true });
    await page.screenshot({ path: `${ROOT}test-artifacts/demo.png`, fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
