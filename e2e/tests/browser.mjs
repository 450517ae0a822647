// Shared Chromium setup: Debian's Chromium through playwright-core, a fresh profile per run.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

export const BASE_URL = process.env.E2E_BASE_URL;
export const DEMO_PASSWORD = process.env.E2E_DEMO_PASSWORD;
export const OUTPUT = process.env.E2E_OUTPUT ?? join(tmpdir(), "confrontas-e2e");

if (!BASE_URL || !DEMO_PASSWORD) {
  throw new Error("E2E_BASE_URL and E2E_DEMO_PASSWORD must be set (scripts/test sets them)");
}

export async function launch() {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "confrontas-chromium-")), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1200, height: 800 },
    locale: "es-MX",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/** Collects page errors and console errors, so a test can assert there were none. */
export function watchErrors(page) {
  const errors = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  return errors;
}

export async function logIn(page, email, password) {
  await page.goto(`${BASE_URL}/`);
  await page.waitForURL("**/ingresar");
  await page.getByLabel("Correo electrónico").fill(email);
  await page.getByLabel("Contraseña", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Iniciar sesión" }).click();
}

const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/** WCAG 2.2 A/AA violations axe-core finds on the page, one line each. */
export async function violations(page) {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  return results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/**
 * Opens `item` from the header's menus, as a person does: `group` is the submenu it sits in
 * ("Padrón", "Herramientas", "Administración"), or null for a page on the menu bar itself.
 */
export async function goTo(page, group, item) {
  const menuButton = page.getByRole("button", { name: "Menú", exact: true });
  if (await menuButton.isVisible()) await menuButton.click();
  const nav = page.getByRole("navigation", { name: "Navegación principal" });
  if (group) await nav.getByRole("button", { name: group, exact: true }).click();
  await nav.getByRole("link", { name: item, exact: true }).click();
}

/** Opens the signed-in person's menu (profile, sign-out). */
export async function openUserMenu(page) {
  await page.getByTestId("user-box").getByRole("button").first().click();
}
