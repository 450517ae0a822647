// The administrator manages accounts from the browser; other roles never see administration.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, DEMO_PASSWORD, OUTPUT, goTo, launch, logIn, watchErrors } from "./browser.mjs";
import { call, tokenOf } from "./procedure.mjs";

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

test("admin creates a user who can then log in, and deactivates them", async () => {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, "admin@demo.confrontas.mx", DEMO_PASSWORD);
  await goTo(page, "Administración", "Usuarios");
  await page.getByRole("heading", { level: 1, name: "Usuarios" }).waitFor();
  await page.getByRole("cell", { name: "mesa@demo.confrontas.mx", exact: true }).waitFor();

  // Client-side validation names each field before anything is sent.
  await page.getByRole("button", { name: "Crear usuario" }).click();
  await page.locator("#unit_id-error").getByText("Elija la unidad administrativa.").waitFor();

  const email = `analista.${Date.now()}@demo.confrontas.mx`;
  await page.getByLabel("Correo electrónico").fill(email);
  await page.getByLabel("Nombre completo").fill("Ana Núñez Peña");
  await page.getByLabel("Cargo").fill("Analista de Mesa");
  await page.getByLabel("Unidad administrativa").selectOption({ label: "DGTIC — Dirección General de Tecnologías de la Información y Comunicaciones" });
  await page.getByLabel("Rol", { exact: true }).selectOption("mesa");
  await page.getByLabel("Contraseña inicial").fill("contraseña-inicial-1");
  await page.getByRole("button", { name: "Crear usuario" }).click();
  await page.getByText(`Se creó la cuenta de Ana Núñez Peña (${email}).`).waitFor();
  await page.getByRole("cell", { name: email, exact: true }).waitFor();

  // The server's answer for a duplicate is shown too.
  await page.getByLabel("Correo electrónico").fill(email);
  await page.getByLabel("Nombre completo").fill("Otra persona");
  await page.getByLabel("Cargo").fill("Analista");
  await page.getByLabel("Contraseña inicial").fill("contraseña-inicial-1");
  await page.getByRole("button", { name: "Crear usuario" }).click();
  await page.getByText(`Ya existe un usuario con el correo ${email}.`).waitFor();
  await page.screenshot({ path: `${OUTPUT}/admin-usuarios.png`, fullPage: true });

  // The new account works (a new tab has its own session storage, so nobody is logged in there).
  const fresh = await context.newPage();
  await logIn(fresh, email, "contraseña-inicial-1");
  await fresh.getByRole("heading", { level: 1, name: "Hola, Ana Núñez Peña" }).waitFor();
  assert.equal((await fresh.locator(".role-badge").textContent()).trim(), "Mesa de Servicios");
  await fresh.close();

  // Deactivating it is immediate.
  await page.getByRole("button", { name: "Desactivar a Ana Núñez Peña" }).click();
  await page.getByText("La cuenta de Ana Núñez Peña quedó desactivada; sus sesiones se cerraron.").waitFor();
  assert.deepEqual(errors.filter((e) => !e.includes("409")), []);
  await page.close();
});

test("admin registers an API client and sees its secret once", async () => {
  const page = await context.newPage();
  await logIn(page, "admin@demo.confrontas.mx", DEMO_PASSWORD);
  await goTo(page, "Administración", "Clientes API");
  await page.getByText("Aún no hay clientes API registrados.").waitFor();
  await page.getByLabel("Nombre del sistema").fill("Sistema de Padrones Estatales");
  await page.getByLabel("Unidad administrativa responsable").selectOption({ label: "DGFA — Dirección General de Fomento a la Agricultura" });
  await page.getByRole("button", { name: "Registrar cliente" }).click();
  const secret = (await page.getByTestId("client-secret").textContent()).trim();
  assert.ok(secret.length >= 40, "a 256-bit secret");
  await page.getByRole("cell", { name: "Sistema de Padrones Estatales", exact: true }).waitFor();
  await page.screenshot({ path: `${OUTPUT}/admin-clientes-api.png`, fullPage: true });
  await page.getByRole("button", { name: "Ya lo guardé" }).click();
  assert.equal(await page.getByTestId("client-secret").count(), 0);
  await page.close();
});

test("other roles see no administration and are sent home from its addresses", async () => {
  const page = await context.newPage();
  await logIn(page, "subdireccion@demo.confrontas.mx", DEMO_PASSWORD);
  await page.getByRole("heading", { level: 1, name: "Hola, Daniela Flores Ortega" }).waitFor();
  const navigation = await page.getByRole("navigation", { name: "Navegación principal" }).innerText();
  assert.doesNotMatch(navigation, /Usuarios|Unidades|Clientes API/);
  await page.goto(`${BASE_URL}/admin/usuarios`);
  await page.getByRole("heading", { level: 1, name: "Hola, Daniela Flores Ortega" }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/");
  await page.close();
});

test("the user list paginates, and filters reset to the first page", async () => {
  // Create enough accounts through the API to need a second page (20 per page).
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "admin@demo.confrontas.mx", password: DEMO_PASSWORD }),
  });
  const { access_token: token } = await login.json();
  const stamp = Date.now();
  for (let n = 0; n < 21; n += 1) {
    const response = await fetch(`${BASE_URL}/api/v1/users`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ email: `lote${stamp}.${n}@demo.confrontas.mx`, name: `Lote ${stamp} ${String(n).padStart(2, "0")}`, position: "Capturista", unit_id: 2, role: "area", password: "contraseña-inicial-1" }),
    });
    assert.equal(response.status, 201);
  }

  const page = await context.newPage();
  await logIn(page, "admin@demo.confrontas.mx", DEMO_PASSWORD);
  await goTo(page, "Administración", "Usuarios");
  await page.getByLabel("Buscar por nombre o correo").fill(`lote${stamp}`);
  const pager = page.getByRole("navigation", { name: "Paginación" });
  await pager.getByText("Página 1 de 2 · 21 usuarios").waitFor();
  assert.ok(await pager.getByRole("button", { name: "Anterior" }).isDisabled());
  await pager.getByRole("button", { name: "Siguiente" }).click();
  await pager.getByText("Página 2 de 2 · 21 usuarios").waitFor();
  assert.ok(await pager.getByRole("button", { name: "Siguiente" }).isDisabled());
  // Sorted by name, the 21st (suffix 20) is alone on page 2.
  await page.getByRole("cell", { name: `lote${stamp}.20@demo.confrontas.mx`, exact: true }).waitFor();
  await page.getByLabel("Buscar por nombre o correo").fill(`lote${stamp}.2`);
  await pager.getByText("Página 1 de 1 · 2 usuarios").waitFor();
  await page.getByLabel("Buscar por nombre o correo").fill("nadie-se-llama-asi");
  await page.getByText("No hay usuarios que coincidan con los filtros.").waitFor();
  await page.close();
});

test("admin edits a user, resets a password shown once, and cannot deactivate themselves", async () => {
  const admin = await call(await tokenOf("admin"), "GET", "/api/v1/me").then((r) => r.json());
  const email = `tecnica.${Date.now()}@demo.confrontas.mx`;
  const created = await call(await tokenOf("admin"), "POST", "/api/v1/users", {
    email, name: "Lucía Ortiz Ramos", position: "Analista", unit_id: admin.unit.id, role: "area",
    password: "contraseña-inicial-2",
  });
  assert.equal(created.status, 201);

  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, "admin@demo.confrontas.mx", DEMO_PASSWORD);
  await goTo(page, "Administración", "Usuarios");
  await page.getByLabel("Buscar por nombre o correo").fill("Lucía Ortiz");
  await page.getByRole("cell", { name: email, exact: true }).waitFor();

  // Edit: name, position, role.
  await page.getByRole("button", { name: "Editar a Lucía Ortiz Ramos" }).click();
  await page.getByRole("heading", { name: `Editar a Lucía Ortiz Ramos (${email})` }).waitFor();
  assert.equal(await page.locator("#edit-unit").inputValue(), String(admin.unit.id), "the current unit is chosen");
  await page.locator("#edit-position").fill("Jefa de Departamento de Padrones");
  await page.locator("#edit-role").selectOption("mesa");
  await page.getByRole("button", { name: "Guardar cambios" }).click();
  await page.getByText("Se guardaron los datos de Lucía Ortiz Ramos.").waitFor();
  await page.getByRole("cell", { name: /Jefa de Departamento de Padrones/ }).waitFor();
  await page.getByRole("row", { name: /Lucía Ortiz Ramos/ }).getByRole("cell", { name: "Mesa de Servicios" }).waitFor();

  // Reset: confirmed, then the temporary password is shown once.
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "Restablecer contraseña de Lucía Ortiz Ramos" }).click();
  const temporary = (await page.getByTestId("temporary-password").textContent()).trim();
  assert.match(temporary, /^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}$/);
  await page.screenshot({ path: `${OUTPUT}/admin-contrasena-temporal.png` });

  // The administrator's own row offers no deactivation nor reset.
  await page.getByLabel("Buscar por nombre o correo").fill("Roberto");
  await page.getByRole("cell", { name: "admin@demo.confrontas.mx", exact: true }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Desactivar a Roberto Peña Díaz" }).count(), 0);
  assert.equal(await page.getByRole("button", { name: "Restablecer contraseña de Roberto Peña Díaz" }).count(), 0);
  await page.getByRole("button", { name: "Editar a Roberto Peña Díaz" }).waitFor();
  assert.deepEqual(errors, []);

  // The holder signs in with it and is taken to choose their own before anything else.
  const holder = await context.newPage();
  await logIn(holder, email, temporary);
  await holder.getByTestId("temporary-password-notice").waitFor();
  assert.equal(new URL(holder.url()).pathname, "/perfil");
  await holder.goto(`${BASE_URL}/solicitudes`);
  await holder.getByTestId("temporary-password-notice").waitFor();
  assert.equal(new URL(holder.url()).pathname, "/perfil");
  await holder.getByLabel("Contraseña actual").fill(temporary);
  await holder.getByLabel("Nueva contraseña", { exact: true }).fill("contraseña-elegida-2026");
  await holder.getByLabel("Confirme la nueva contraseña").fill("contraseña-elegida-2026");
  await holder.getByRole("button", { name: "Cambiar contraseña" }).click();
  await holder.waitForURL("**/ingresar");
  await holder.getByLabel("Correo electrónico").fill(email);
  await holder.getByLabel("Contraseña", { exact: true }).fill("contraseña-elegida-2026");
  await holder.getByRole("button", { name: "Iniciar sesión" }).click();
  await holder.getByRole("heading", { level: 1, name: "Hola, Lucía Ortiz Ramos" }).waitFor();
  await holder.close();
  await page.close();
});
