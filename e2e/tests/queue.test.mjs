// The service desk's queue as people use it: dashboard tiles and sections that open the list
// filtered, sortable headers with aria-sort, rows that open their request, numbered pages, the
// unit and "mine" filters in the address, exports of what the filters select, and the search
// every page has.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BASE_URL, OUTPUT, launch, violations } from "./browser.mjs";
import { openAs, registryPage, requestInAttention } from "./procedure.mjs";

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

const params = (page) => new URL(page.url()).searchParams;

test("the dashboard's tiles and sections open the list filtered the same way", async () => {
  const { page, errors } = await openAs(context, "mesa");
  await page.getByRole("link", { name: /^Recibida\s*\d+$/ }).click();
  await page.getByRole("heading", { level: 1, name: "Solicitudes" }).waitFor();
  assert.equal(params(page).get("state"), "submitted");
  const states = await page.locator("table tbody tr td:nth-child(5)").allInnerTexts();
  assert.ok(states.length > 0 && states.every((s) => s === "Recibida"), states.join());

  await page.goto(`${BASE_URL}/`);
  const pending = page.getByRole("region", { name: /Pendientes de su atención/ });
  await pending.getByRole("link", { name: /^Ver en la lista/ }).click();
  await page.getByRole("heading", { level: 1, name: "Solicitudes" }).waitFor();
  assert.equal(params(page).get("mine"), "true");
  assert.equal(await page.getByLabel("Solo lo que espera mi atención").isChecked(), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test("headers sort both ways, rows open their request, filters and exports follow the address", async () => {
  const subject = `Cola ${Date.now()}`;
  const [farmer] = await registryPage(1, 7);
  const mine = await requestInAttention("renapo", ["CURP", farmer.curp], subject);
  const { page, errors } = await openAs(context, "subdireccion");
  await page.goto(`${BASE_URL}/solicitudes`);
  const ticket = page.getByRole("columnheader", { name: /Ticket/ });
  assert.equal(await ticket.getAttribute("aria-sort"), "none");
  await ticket.getByRole("button").click();
  await page.waitForURL(/sort=ticket(&|$)/);
  assert.equal(await ticket.getAttribute("aria-sort"), "ascending");
  const ascending = await page.locator("table tbody tr td:first-child code").allInnerTexts();
  assert.deepEqual(ascending, [...ascending].sort());
  await ticket.getByRole("button").click();
  await page.waitForURL(/sort=ticket_desc/);
  assert.equal(await ticket.getAttribute("aria-sort"), "descending");
  assert.equal(await page.getByRole("columnheader", { name: /Recibida/ }).getAttribute("aria-sort"), "none");
  await page.screenshot({ path: `${OUTPUT}/cola-ordenada.png`, fullPage: true });

  // Unit and "mine" filters, kept in the address.
  const unit = page.getByLabel("Unidad solicitante");
  await unit.locator("option", { hasText: `${mine.unit.key} — ` }).waitFor({ state: "attached" });
  await unit.selectOption({ value: String(mine.unit.id) });
  await page.getByLabel("Solo lo que espera mi atención").check();
  await page.getByRole("button", { name: "Filtrar" }).click();
  await page.waitForURL(/mine=true/);
  assert.equal(params(page).get("unit_id"), String(mine.unit.id));
  await page.getByRole("cell", { name: subject }).waitFor();
  await page.reload();
  assert.equal(await page.getByLabel("Solo lo que espera mi atención").isChecked(), true);
  await page.getByRole("cell", { name: subject }).waitFor();

  // Export what the filters select: the CSV has the header and one line per request listed.
  const listed = await page.locator("table tbody tr").count();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Exportar .csv" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^solicitudes_\d{4}-\d{2}-\d{2}\.csv$/);
  const text = readFileSync(await download.path(), "utf8");
  assert.ok(text.startsWith("\uFEFFTicket,Folio,Tipo"), text.slice(0, 40));
  assert.equal(text.trim().split("\n").length, listed + 1, text);
  const [workbook] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Exportar .xlsx" }).click(),
  ]);
  assert.match(workbook.suggestedFilename(), /^solicitudes_.*\.xlsx$/);
  assert.equal(readFileSync(await workbook.path()).subarray(0, 2).toString(), "PK");

  // A click on the row (not only on its ticket) opens the request.
  await page.getByRole("link", { name: "Solicitudes", exact: true }).click();
  await page.getByRole("cell", { name: subject }).click();
  await page.getByRole("heading", { level: 1, name: `Solicitud ${mine.ticket_number}` }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test("the search every page has finds a request by ticket and by CURP; / opens it", async () => {
  const subject = `Búsqueda ${Date.now()}`;
  const [farmer] = await registryPage(1, 8);
  const request = await requestInAttention("renapo", ["CURP", farmer.curp], subject);
  const { page, errors } = await openAs(context, "mesa");
  await page.goto(`${BASE_URL}/certificados`);
  await page.getByRole("heading", { level: 1 }).first().waitFor();
  await page.locator("body").press("/");
  const field = page.getByLabel("Buscar solicitud: ticket, folio, CURP o palabras del asunto");
  await field.waitFor();
  assert.equal(await field.evaluate((f) => f === document.activeElement), true, "/ puts the cursor in the search");
  await field.fill(request.ticket_number);
  await field.press("Enter");
  await page.getByRole("heading", { level: 1, name: "Solicitudes" }).waitFor();
  assert.equal(params(page).get("q"), request.ticket_number);
  await page.getByRole("cell", { name: subject }).waitFor();
  assert.equal(await page.locator("table tbody tr").count(), 1);
  assert.deepEqual(await violations(page), []);
  await page.screenshot({ path: `${OUTPUT}/busqueda-global.png` });
  assert.deepEqual(errors, []);
  await page.close();
});

test("pages are numbered, the current one marked, and the number is kept in the address", async () => {
  const { page, errors } = await openAs(context, "subdireccion");
  await page.goto(`${BASE_URL}/padron`);
  const pager = page.getByRole("navigation", { name: "Paginación" });
  await pager.getByRole("button", { name: "Página 1, la actual" }).waitFor();
  await pager.getByRole("button", { name: "Página 3", exact: true }).click();
  await page.waitForURL(/page=3/);
  await pager.getByRole("button", { name: "Página 3, la actual" }).waitFor();
  assert.equal(await pager.getByRole("button", { name: "Página 3, la actual" }).getAttribute("aria-current"), "page");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the area's home has the button for a new request", async () => {
  const { page, errors } = await openAs(context, "area");
  await page.getByRole("link", { name: "Nueva solicitud" }).click();
  await page.getByRole("heading", { level: 1, name: "Nueva solicitud" }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});
