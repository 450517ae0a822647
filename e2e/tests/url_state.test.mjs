// A list's filters, order and page live in the address: a reload, the back button and a shared
// link open the page as it was left.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, DEMO_PASSWORD, OUTPUT, goTo, launch, logIn, watchErrors } from "./browser.mjs";

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

async function apiToken(email) {
  const response = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).access_token;
}

function query(page) {
  return Object.fromEntries(new URL(page.url()).searchParams);
}

test("the user list keeps its search, role and page across reload, back and a shared link", async () => {
  const token = await apiToken("admin@demo.confrontas.mx");
  const stamp = `url${Date.now()}`;
  for (let n = 0; n < 21; n += 1) {
    const response = await fetch(`${BASE_URL}/api/v1/users`, {
      method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ email: `${stamp}.${n}@demo.confrontas.mx`, name: `Enlace ${stamp} ${String(n).padStart(2, "0")}`, position: "Capturista", unit_id: 2, role: "area", password: "contraseña-inicial-1" }),
    });
    assert.equal(response.status, 201);
  }

  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, "admin@demo.confrontas.mx", DEMO_PASSWORD);
  await goTo(page, "Administración", "Usuarios");
  const search = page.getByLabel("Buscar por nombre o correo");
  const role = page.getByLabel("Filtrar por rol");
  const pager = page.getByRole("navigation", { name: "Paginación" });
  await search.fill(stamp);
  await role.selectOption("area");
  await pager.getByText("Página 1 de 2 · 21 usuarios").waitFor();
  await pager.getByRole("button", { name: "Siguiente" }).click();
  await pager.getByText("Página 2 de 2 · 21 usuarios").waitFor();
  assert.deepEqual(query(page), { q: stamp, role: "area", page: "2" });
  const address = page.url();

  await page.reload();
  await pager.getByText("Página 2 de 2 · 21 usuarios").waitFor();
  assert.equal(await search.inputValue(), stamp);
  assert.equal(await role.inputValue(), "area");
  await page.getByRole("cell", { name: `${stamp}.20@demo.confrontas.mx`, exact: true }).waitFor();

  // Back steps through the pages, not through every keystroke of the search.
  await page.goBack();
  await pager.getByText("Página 1 de 2 · 21 usuarios").waitFor();
  assert.deepEqual(query(page), { q: stamp, role: "area" });
  await page.goBack();
  await page.waitForURL((url) => !url.searchParams.has("role"));
  assert.deepEqual(query(page), { q: stamp });
  assert.equal(await role.inputValue(), "");
  assert.equal(await search.inputValue(), stamp);

  // A colleague opening the shared link (after logging in) sees the same page.
  const colleague = await context.newPage();
  await logIn(colleague, "admin@demo.confrontas.mx", DEMO_PASSWORD);
  await colleague.getByRole("heading", { level: 1, name: /^Hola/ }).waitFor();
  await colleague.goto(address);
  const colleaguePager = colleague.getByRole("navigation", { name: "Paginación" });
  await colleaguePager.getByText("Página 2 de 2 · 21 usuarios").waitFor();
  assert.equal(await colleague.getByLabel("Buscar por nombre o correo").inputValue(), stamp);
  await colleague.screenshot({ path: `${OUTPUT}/url-usuarios-pagina-2.png`, fullPage: true });
  await colleague.close();
  assert.deepEqual(errors, []);
  await page.close();
});

test("the registry search keeps its filters, order and page when coming back from a farmer", async () => {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, "subdireccion@demo.confrontas.mx", DEMO_PASSWORD);
  await goTo(page, "Padrón", "Consultar padrón");
  await page.getByRole("heading", { level: 1, name: "Padrón de productores" }).waitFor();
  const pager = page.getByRole("navigation", { name: "Paginación" });
  await pager.getByText(/^Página 1 de \d+/).waitFor();
  // Thousands are written as people in Mexico write them.
  await pager.getByText(/ · \d{1,3}(,\d{3})+ productores$/).waitFor();
  await page.getByLabel("Estatus").selectOption("active");
  await page.getByRole("button", { name: "Buscar" }).click();
  await page.waitForURL((url) => url.searchParams.get("status") === "active");
  const sorted = page.waitForResponse((r) => r.url().includes("/api/v1/farmers?") && r.url().includes("sort=curp"));
  await page.getByLabel("Ordenar por").selectOption("curp");
  await sorted;
  const firstCells = page.getByRole("table", { name: "Productores encontrados" }).locator("tbody tr td:first-child");
  await page.locator('.loaded[aria-busy="false"]').waitFor();
  const pageOne = (await firstCells.allInnerTexts()).map((text) => text.trim());
  await pager.getByRole("button", { name: "Siguiente" }).click();
  await pager.getByText(/^Página 2 de \d+/).waitFor();
  assert.deepEqual(query(page), { status: "active", sort: "curp", page: "2" });
  // While page 2 loads, page 1 stays in view marked busy; then page 2 replaces it.
  await page.getByRole("link", { name: pageOne[0] }).waitFor({ state: "detached" });

  // Sorted by CURP, page 2 starts where page 1 ended.
  const curps = (await firstCells.allInnerTexts()).map((text) => text.trim());
  assert.equal(curps.length, 25);
  assert.deepEqual([...curps].sort(), curps);
  assert.ok(curps[0] > pageOne.at(-1), `${curps[0]} follows ${pageOne.at(-1)}`);
  const firstCurp = curps[0];

  await page.getByRole("link", { name: firstCurp }).click();
  await page.getByRole("heading", { level: 1, name: /./ }).filter({ hasNotText: "Padrón de productores" }).waitFor();
  assert.equal(new URL(page.url()).pathname, `/padron/${firstCurp}`);
  await page.goBack();
  await pager.getByText(/^Página 2 de \d+/).waitFor();
  assert.equal(await page.getByLabel("Estatus").inputValue(), "active");
  assert.equal(await page.getByLabel("Ordenar por").inputValue(), "curp");
  assert.equal((await firstCells.first().innerText()).trim(), firstCurp);

  await page.reload();
  await pager.getByText(/^Página 2 de \d+/).waitFor();
  assert.equal(await page.getByLabel("Estatus").inputValue(), "active");
  assert.equal((await firstCells.first().innerText()).trim(), firstCurp);
  await page.screenshot({ path: `${OUTPUT}/url-padron-pagina-2.png`, fullPage: true });

  // Clearing the form clears the address, but keeps the chosen order.
  await page.getByRole("button", { name: "Limpiar" }).click();
  await page.waitForURL((url) => !url.searchParams.has("status"));
  assert.deepEqual(query(page), { sort: "curp" });
  assert.equal(await page.getByLabel("Estatus").inputValue(), "");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a confrontation's results keep their classification filter on reload", async () => {
  // The demo data holds RENAPO confrontations already finished; take the first one.
  const token = await apiToken("subdireccion@demo.confrontas.mx");
  const response = await fetch(`${BASE_URL}/api/v1/confrontations/1`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(response.status, 200);
  const confrontation = await response.json();
  assert.equal(confrontation.state, "finished");
  assert.ok(confrontation.metrics.no_update > 0, "the demo confrontation has rows without an update");

  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, "subdireccion@demo.confrontas.mx", DEMO_PASSWORD);
  await page.getByRole("heading", { level: 1, name: /^Hola/ }).waitFor();
  await page.goto(`${BASE_URL}/confrontas/1`);
  const results = page.getByTestId("results");
  await results.waitFor();
  await page.getByLabel("Clasificación").selectOption("no_update");
  await page.waitForURL((url) => url.searchParams.get("classification") === "no_update");

  await page.reload();
  await results.waitFor();
  assert.equal(await page.getByLabel("Clasificación").inputValue(), "no_update");
  const classes = await results.locator("tbody tr td:nth-child(3)").allInnerTexts();
  assert.equal(classes.length, Math.min(confrontation.metrics.no_update, 50));
  assert.ok(classes.every((text) => text.trim() === "Sin actualización"), classes.join(", "));
  assert.deepEqual(errors, []);
  await page.close();
});

test("the KPI period asked for stays in the address", async () => {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, "subdireccion@demo.confrontas.mx", DEMO_PASSWORD);
  await page.getByRole("heading", { level: 1, name: /^Hola/ }).waitFor();
  await page.goto(`${BASE_URL}/indicadores`);
  // The period is chosen from lists, not typed.
  await page.getByLabel("Tipo de periodo").selectOption({ label: "Trimestre" });
  await page.getByLabel("Año", { exact: true }).selectOption("2025");
  await page.getByLabel("Trimestre").selectOption({ label: "1.º trimestre (enero a marzo)" });
  await page.getByRole("button", { name: "Consultar" }).click();
  await page.getByText("No hay confrontas terminadas en 1.º trimestre de 2025.").waitFor();
  assert.deepEqual(query(page), { period: "2025-Q1", authority: "renapo" });
  await page.reload();
  await page.getByText("No hay confrontas terminadas en 1.º trimestre de 2025.").waitFor();
  assert.equal(await page.getByLabel("Tipo de periodo").inputValue(), "quarter");
  assert.equal(await page.getByLabel("Año", { exact: true }).inputValue(), "2025");
  assert.equal(await page.getByLabel("Trimestre").inputValue(), "1");
  await page.goBack();
  await page.waitForURL((url) => !url.searchParams.has("period"));
  assert.equal(await page.getByLabel("Tipo de periodo").inputValue(), "month");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a request that does not exist says so under the page's heading", async () => {
  const page = await context.newPage();
  await logIn(page, "subdireccion@demo.confrontas.mx", DEMO_PASSWORD);
  await page.getByRole("heading", { level: 1, name: /^Hola/ }).waitFor();
  await page.goto(`${BASE_URL}/solicitudes/999999`);
  await page.getByRole("heading", { level: 1, name: "Solicitud" }).waitFor();
  const reason = page.locator('h1:text-is("Solicitud") + [role="alert"]');
  assert.equal((await reason.innerText()).trim(), "No hay una solicitud con ese id.");
  await page.close();
});
