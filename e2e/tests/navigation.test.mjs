// The header as people use it all day: grouped menus that open, close and keep focus where a
// keyboard user expects it; one row at 1366 px; a menu button on phones; focus on the new
// page's heading; a 404 that keeps the header.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, DEMO_PASSWORD, OUTPUT, launch, logIn, violations, watchErrors } from "./browser.mjs";

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

async function signedIn(width, height) {
  const page = await context.newPage();
  await page.setViewportSize({ width, height });
  const errors = watchErrors(page);
  await logIn(page, "admin@demo.confrontas.mx", DEMO_PASSWORD);
  await page.getByRole("heading", { level: 1, name: "Hola, Roberto Peña Díaz" }).waitFor();
  return { page, errors };
}

const headingInFocus = (page) =>
  page.evaluate(() => document.activeElement?.tagName === "H1" ? document.activeElement.textContent : null);

test("at 1366 px the header is one row and the grouped menus work with mouse and keyboard", async () => {
  const { page, errors } = await signedIn(1366, 768);
  await page.getByTestId("simulated-renapo").waitFor();
  const bar = await page.locator("header.topbar").boundingBox();
  assert.ok(bar.height < 64, `one row: ${bar.height}px high`);
  const banner = await page.getByTestId("simulated-renapo").boundingBox();
  assert.ok(banner.height < 30, `a compact simulator note: ${banner.height}px`);
  await page.screenshot({ path: `${OUTPUT}/navegacion-1366.png` });

  const nav = page.getByRole("navigation", { name: "Navegación principal" });
  const admin = nav.getByRole("button", { name: "Administración", exact: true });
  assert.equal(await admin.getAttribute("aria-expanded"), "false");
  assert.equal(await nav.getByRole("link", { name: "Usuarios" }).count(), 0, "closed: its links are hidden");
  await admin.click();
  assert.equal(await admin.getAttribute("aria-expanded"), "true");
  await nav.getByRole("link", { name: "Calendario" }).waitFor();
  await page.screenshot({ path: `${OUTPUT}/navegacion-menu-abierto.png` });
  await page.keyboard.press("Escape");
  assert.equal(await admin.getAttribute("aria-expanded"), "false");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), "Administración▾");

  // Only one submenu at a time: moving to another closes the first (focus left it).
  await admin.click();
  await nav.getByRole("button", { name: "Padrón", exact: true }).focus();
  assert.equal(await admin.getAttribute("aria-expanded"), "false");

  // Keyboard: open, Tab into the links, Enter; the page's heading takes the focus.
  await nav.getByRole("button", { name: "Padrón", exact: true }).press("Enter");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: "Importar padrón" }).waitFor();
  await page.waitForFunction(() => document.activeElement?.tagName === "H1");
  assert.equal(await headingInFocus(page), "Importar padrón");
  assert.equal(await nav.getByRole("button", { name: "Padrón", exact: true }).getAttribute("aria-expanded"), "false");
  assert.ok(await nav.getByRole("button", { name: "Padrón", exact: true }).evaluate((b) => b.classList.contains("current")),
    "the group of the current page is marked");

  // The user's menu holds the profile and the sign-out.
  await page.getByTestId("user-box").getByRole("button").first().click();
  await page.getByRole("link", { name: "Mi perfil" }).click();
  await page.getByRole("heading", { level: 1, name: "Mi perfil" }).waitFor();
  await page.waitForFunction(() => document.activeElement?.tagName === "H1");
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test("an unknown address shows the 404 inside the frame, with the menus", async () => {
  const { page, errors } = await signedIn(1366, 768);
  await page.goto(`${BASE_URL}/no-existe/tampoco`);
  await page.getByRole("heading", { level: 1, name: "Página no encontrada" }).waitFor();
  await page.getByRole("navigation", { name: "Navegación principal" }).waitFor();
  await page.getByRole("link", { name: "Ir al inicio" }).click();
  await page.getByRole("heading", { level: 1, name: "Hola, Roberto Peña Díaz" }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test("on a phone the menu sits behind a button and every page stays free of axe violations", async () => {
  const { page, errors } = await signedIn(390, 844);
  const nav = page.getByRole("navigation", { name: "Navegación principal" });
  assert.equal(await nav.isVisible(), false, "the menu waits behind its button");
  const bar = await page.locator("header.topbar").boundingBox();
  assert.ok(bar.height < 64, `a short header: ${bar.height}px`);
  await page.screenshot({ path: `${OUTPUT}/navegacion-390.png` });
  assert.deepEqual(await violations(page), []);
  const menu = page.getByRole("button", { name: "Menú", exact: true });
  await menu.click();
  assert.equal(await menu.getAttribute("aria-expanded"), "true");
  await nav.getByRole("button", { name: "Administración", exact: true }).click();
  await page.screenshot({ path: `${OUTPUT}/navegacion-390-abierto.png` });
  assert.deepEqual(await violations(page), []);
  await nav.getByRole("link", { name: "Unidades" }).click();
  await page.getByRole("heading", { level: 1, name: "Unidades administrativas" }).waitFor();
  assert.equal(await nav.isVisible(), false, "choosing a page closes the menu");
  assert.deepEqual(errors, []);
  await page.close();
});

test("on a phone lists are cards, filters fold away, and nothing scrolls sideways", async () => {
  const { page, errors } = await signedIn(390, 844);
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  for (const [path, heading] of [["/solicitudes", "Solicitudes"], ["/padron", "Padrón de productores"], ["/admin/usuarios", "Usuarios"], ["/solicitudes/1", /^Solicitud MS-/], ["/indicadores", "Indicadores de confrontas"], ["/", "Hola, Roberto Peña Díaz"]]) {
    await page.goto(`${BASE_URL}${path}`);
    await page.getByRole("heading", { level: 1, name: heading }).waitFor();
    await page.waitForLoadState("networkidle");
    assert.ok(await fits(), `${path} fits 390 px`);
    assert.deepEqual(await violations(page), [], path);
  }
  await page.goto(`${BASE_URL}/solicitudes`);
  await page.getByRole("heading", { level: 1, name: "Solicitudes" }).waitFor();
  const toggle = page.getByRole("button", { name: "Mostrar filtros" });
  assert.equal(await page.getByLabel("Estado").isVisible(), false, "folded");
  await page.locator("table tbody tr").first().waitFor();
  const card = await page.locator("table tbody tr").first().boundingBox();
  assert.ok(card.width <= 390, `a row is a card: ${card.width}px`);
  await page.screenshot({ path: `${OUTPUT}/solicitudes-390.png`, fullPage: true });
  await toggle.click();
  await page.getByLabel("Estado").waitFor();
  assert.equal(await page.getByRole("button", { name: "Ocultar filtros" }).getAttribute("aria-expanded"), "true");
  assert.deepEqual(errors, []);
  await page.close();
});
