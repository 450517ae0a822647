// Testers use Swagger UI: it must render the API (vendored assets, under its CSP) without errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, OUTPUT, launch, watchErrors } from "./browser.mjs";

test("Swagger UI renders every documented group with no page errors", async () => {
  const context = await launch();
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${BASE_URL}/swagger-ui/`);
  await page.getByRole("heading", { name: /Confrontas API/ }).waitFor();
  for (const path of ["/api/v1/auth/login", "/api/v1/users", "/ready"]) {
    await page.locator(".opblock-summary-path", { hasText: new RegExp(`^${path}$`) }).first().waitFor();
  }
  await page.screenshot({ path: `${OUTPUT}/swagger-ui.png` });
  assert.deepEqual(errors, []);
  await context.close();
});
