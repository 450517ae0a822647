// Each demo role logs in, sees its name and role, keeps the session across a reload, and
// logs out; wrong credentials and empty fields are reported accessibly.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, DEMO_PASSWORD, OUTPUT, launch, logIn, openUserMenu, watchErrors } from "./browser.mjs";

const ROLES = [
  { role: "area", label: "Área solicitante", name: "Laura Hernández Ruiz", unit: "DGFA" },
  { role: "mesa", label: "Mesa de Servicios", name: "Mario Sánchez López", unit: "DGTIC" },
  { role: "subdireccion", label: "Subdirección de Operación", name: "Daniela Flores Ortega", unit: "DGTIC" },
  { role: "admin", label: "Administración", name: "Roberto Peña Díaz", unit: "DGTIC" },
];

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

for (const { role, label, name, unit } of ROLES) {
  test(`${role}: logs in, sees name and role, keeps the session on reload, logs out`, async () => {
    const page = await context.newPage();
    const errors = watchErrors(page);
    await logIn(page, `${role}@demo.confrontas.mx`, DEMO_PASSWORD);

    await page.getByRole("heading", { level: 1, name: `Hola, ${name}` }).waitFor();
    assert.equal((await page.locator(".role-badge").textContent()).trim(), label);
    assert.equal((await page.locator(".user-name").textContent()).trim(), name);

    await openUserMenu(page);
    await page.getByRole("link", { name: "Mi perfil" }).click();
    await page.getByRole("heading", { level: 1, name: "Mi perfil" }).waitFor();
    const profile = await page.getByTestId("profile").innerText();
    assert.match(profile, new RegExp(name));
    assert.match(profile, new RegExp(`\\(${unit}\\)`));
    assert.match(profile, new RegExp(label));
    assert.match(profile, new RegExp(`${role}@demo.confrontas.mx`));
    await page.screenshot({ path: `${OUTPUT}/${role}-perfil.png`, fullPage: true });

    // The session survives a reload (the refresh token is kept for this tab).
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Mi perfil" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/perfil");

    await openUserMenu(page);
    await page.getByRole("button", { name: "Cerrar sesión" }).click();
    await page.waitForURL("**/ingresar");
    await page.goto(`${BASE_URL}/perfil`);
    await page.waitForURL(/\/ingresar\?siguiente=%2Fperfil$/);
    await page.getByRole("heading", { name: "Iniciar sesión" }).waitFor();

    assert.deepEqual(errors, []);
    await page.close();
  });
}

test("wrong password: the error is announced and the fields stay usable", async () => {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, "mesa@demo.confrontas.mx", "no-es-la-contraseña");
  const alert = page.getByRole("alert");
  await alert.getByText("Correo o contraseña incorrectos.").waitFor();
  assert.equal(new URL(page.url()).pathname, "/ingresar");
  await page.screenshot({ path: `${OUTPUT}/login-error.png`, fullPage: true });
  // The browser logs the 401 response itself; that is the only console error expected.
  assert.deepEqual(errors.filter((e) => !e.includes("401")), []);
  await page.close();
});

test("empty form: each field names its problem without calling the server", async () => {
  const page = await context.newPage();
  await page.goto(`${BASE_URL}/ingresar`);
  let requests = 0;
  page.on("request", (request) => { if (request.url().includes("/api/")) requests += 1; });
  await page.getByRole("button", { name: "Iniciar sesión" }).click();
  const email = page.getByLabel("Correo electrónico");
  await page.locator("#email-error").getByText("Escriba un correo electrónico válido.").waitFor();
  assert.equal(await email.getAttribute("aria-invalid"), "true");
  assert.equal(await email.getAttribute("aria-describedby"), "email-error");
  assert.equal((await page.locator("#password-error").textContent()).trim(), "Escriba su contraseña.");
  assert.equal(requests, 0);
  await page.close();
});

test("unknown addresses show a Spanish not-found page, after signing in like every page", async () => {
  const page = await context.newPage();
  await page.goto(`${BASE_URL}/no-existe/aqui`);
  await page.waitForURL(/\/ingresar\?siguiente=%2Fno-existe%2Faqui$/);
  await page.getByLabel("Correo electrónico").fill("mesa@demo.confrontas.mx");
  await page.getByLabel("Contraseña", { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Iniciar sesión" }).click();
  await page.getByRole("heading", { name: "Página no encontrada" }).waitFor();
  await page.getByRole("navigation", { name: "Navegación principal" }).waitFor();
  await page.close();
});

test("a page opened without a session returns to it, query included, after signing in; other sites never", async () => {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${BASE_URL}/solicitudes?request_type=sat&q=MS`);
  await page.waitForURL(/\/ingresar\?siguiente=%2Fsolicitudes%3Frequest_type%3Dsat%26q%3DMS$/);
  await page.getByLabel("Correo electrónico").fill("mesa@demo.confrontas.mx");
  await page.getByLabel("Contraseña", { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Iniciar sesión" }).click();
  await page.getByRole("heading", { level: 1, name: "Solicitudes" }).waitFor();
  const back = new URL(page.url());
  assert.equal(back.pathname, "/solicitudes");
  assert.equal(back.searchParams.get("request_type"), "sat");
  assert.equal(await page.getByLabel("Ticket, folio, CURP o asunto").inputValue(), "MS");
  await page.close();

  // A `siguiente` that leaves the site is ignored: the person lands on the home page.
  const other = await context.newPage();
  await other.goto(`${BASE_URL}/ingresar?siguiente=//example.com/robo`);
  await other.getByLabel("Correo electrónico").fill("mesa@demo.confrontas.mx");
  await other.getByLabel("Contraseña", { exact: true }).fill(DEMO_PASSWORD);
  await other.getByRole("button", { name: "Iniciar sesión" }).click();
  await other.getByRole("heading", { level: 1, name: /^Hola/ }).waitFor();
  assert.equal(new URL(other.url()).origin, new URL(BASE_URL).origin);
  assert.deepEqual(errors, []);
  await other.close();
});
