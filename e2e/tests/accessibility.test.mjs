// WCAG 2.2 A/AA checks with axe-core on every page a role can reach. axe finds only part of the
// failures; keyboard and zoom checks remain manual.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, DEMO_PASSWORD, launch, logIn, violations } from "./browser.mjs";

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

test("login page (empty and with errors) has no axe violations", async () => {
  const page = await context.newPage();
  await page.goto(`${BASE_URL}/ingresar`);
  await page.getByRole("heading", { name: "Iniciar sesión" }).waitFor();
  assert.deepEqual(await violations(page), []);
  await page.getByRole("button", { name: "Iniciar sesión" }).click();
  await page.locator("#email-error").getByText("Escriba un correo electrónico válido.").waitFor();
  assert.deepEqual(await violations(page), []);
  await page.close();
});

test("every administrator page has no axe violations", async () => {
  const page = await context.newPage();
  await logIn(page, "admin@demo.confrontas.mx", DEMO_PASSWORD);
  await page.getByRole("heading", { level: 1, name: "Hola, Roberto Peña Díaz" }).waitFor();
  // Each page is loaded afresh, so the session is also restored from this tab's storage each time.
  const pages = [["/", "Hola, Roberto Peña Díaz"], ["/perfil", "Mi perfil"], ["/admin/usuarios", "Usuarios"],
    ["/admin/unidades", "Unidades administrativas"], ["/admin/clientes-api", "Clientes API"],
    ["/padron", "Padrón de productores"], ["/padron/importaciones", "Importar padrón"],
    ["/layout", "Validar layout de CURP"], ["/admin/niveles-de-servicio", "Niveles de servicio"],
    ["/admin/calendario", "Calendario de días hábiles"], ["/admin/elegibilidad", "Política de elegibilidad"],
    ["/solicitudes", "Solicitudes"],
    ["/notificaciones", "Notificaciones"], ["/indicadores", "Indicadores de confrontas"]];
  for (const [path, heading] of pages) {
    await page.goto(`${BASE_URL}${path}`);
    await page.getByRole("heading", { level: 1, name: heading }).waitFor();
    await page.waitForLoadState("networkidle");
    assert.deepEqual(await violations(page), [], path);
  }
  await page.close();
});
