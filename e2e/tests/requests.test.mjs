// The procedure of the service cards with three roles: the area submits a request with its
// oficio and layout, the desk observes it, the area corrects and resubmits, the desk forwards it
// (folio), the sub-directorate accepts it, runs the confrontation against the (simulated)
// RENAPO watching its progress, applies the results, downloads the report and resolves; the
// desk closes it. A second request is declared not admissible, closed, and its response letter
// downloaded by the area.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { OUTPUT, goTo, launch, violations } from "./browser.mjs";
import { PDF, openAs, openRequest, registryPage, stateIs, submitRequest } from "./procedure.mjs";

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

/** CURPs of farmers in the registry (page `page` of `count`), read as the sub-directorate. */
async function registeredCurps(count, page = 1) {
  return (await registryPage(count, page)).map((f) => f.curp);
}

test("a request goes from the area through the desk and the sub-directorate to its close", async () => {
  // Enough farmers that the confrontation's progress can be watched (the e2e server's simulator
  // answers in 40 ms); a page of the 10,000 chosen at random, so that a run against the same
  // server again confronts farmers whose updates were not applied yet.
  const curps = await registeredCurps(200, 2 + Math.floor(Math.random() * 48));
  const area = await openAs(context, "area");
  const subject = `Confronta RENAPO ${Date.now()}`;

  // A layout with an unregistered CURP is reported before sending, and refused if sent.
  const bad = ["CURP", curps[0], curps[1], "HEGG560427MVZRRL05"].join("\n");
  await submitRequest(area.page, { type: /Confronta RENAPO/, subject, layout: bad });
  await area.page.getByText("El layout tiene 1 fila con errores de 3 filas; corríjalas antes de enviarlo.").waitFor();
  await area.page.getByRole("button", { name: "Enviar solicitud" }).click();
  await area.page.getByRole("list", { name: "Filas del layout con errores" }).getByText(/^Fila 4 \(HEGG560427MVZRRL05\)/).waitFor();
  await area.page.screenshot({ path: `${OUTPUT}/solicitud-layout-rechazado.png`, fullPage: true });

  // Another file takes away what was said of the first one: its report and its refused rows.
  const good = ["CURP", ...curps].join("\n");
  await area.page.getByLabel("Layout de CURP (.xlsx o .csv)").setInputFiles({
    name: "layout.csv", mimeType: "text/csv", buffer: Buffer.from(good, "utf8"),
  });
  await area.page.getByRole("list", { name: "Filas del layout con errores" }).waitFor({ state: "detached" });
  assert.equal(await area.page.getByText(/El layout tiene 1 fila con errores/).count(), 0, "the first file's report is gone");
  await area.page.getByRole("button", { name: "Revisar el layout antes de enviar" }).click();
  await area.page.getByText("El layout está listo: 200 filas válidas.").waitFor();
  assert.deepEqual(await violations(area.page), [], "new request page with its layout report");
  await area.page.getByRole("button", { name: "Enviar solicitud" }).click();
  const heading = area.page.getByRole("heading", { level: 1, name: /^Solicitud MS-\d{4}-\d{6}$/ });
  await heading.waitFor();
  const ticket = (await heading.textContent()).replace("Solicitud ", "").trim();
  await stateIs(area.page, "Recibida");
  await area.page.screenshot({ path: `${OUTPUT}/solicitud-recibida.png`, fullPage: true });

  // The desk is notified, and observes.
  const desk = await openAs(context, "mesa");
  const bell = desk.page.getByTestId("bell");
  assert.match(await bell.getAttribute("aria-label"), /[1-9]\d* sin leer/);
  await desk.page.getByRole("region", { name: /Pendientes de su atención/ }).getByRole("link", { name: ticket }).click();
  await stateIs(desk.page, "Recibida");
  assert.deepEqual(await violations(desk.page), [], "request page with the desk's actions");
  // One decision with a clear choice: nothing is sent until the desk picks one.
  const decision = desk.page.getByRole("group", { name: /^¿Qué corresponde a la solicitud MS-/ });
  assert.equal(await desk.page.getByRole("button", { name: "Turnar y emitir folio" }).count(), 0);
  await decision.getByLabel("Pedir correcciones al área").check();
  await desk.page.getByLabel("Nueva observación").fill("El oficio no trae la firma autógrafa.");
  await desk.page.getByRole("button", { name: "Agregar a la lista" }).click();
  await desk.page.getByLabel("Nueva observación").fill("Indique el programa de los productores.");
  await desk.page.getByRole("button", { name: "Enviar observaciones" }).click();
  await stateIs(desk.page, "Con observaciones");
  await desk.page.screenshot({ path: `${OUTPUT}/solicitud-observada.png`, fullPage: true });

  // The area sees the observations and resubmits with a signed oficio.
  await openRequest(area.page, ticket);
  await stateIs(area.page, "Con observaciones");
  const observations = area.page.getByRole("region", { name: "Observaciones por atender" });
  await observations.getByText("El oficio no trae la firma autógrafa.").waitFor();
  await observations.getByText("Indique el programa de los productores.").waitFor();
  await area.page.getByLabel("Cómo se atendieron las observaciones").fill("Se firmó el oficio; programa Producción para el Bienestar.");
  await area.page.getByLabel("Oficio corregido (PDF, opcional)").setInputFiles({ name: "oficio-firmado.pdf", mimeType: "application/pdf", buffer: PDF });
  await area.page.getByRole("button", { name: "Reenviar corregida" }).click();
  await stateIs(area.page, "Recibida");
  await area.page.getByRole("cell", { name: "oficio-firmado.pdf", exact: true }).waitFor();

  // The desk forwards: the folio is issued.
  await openRequest(desk.page, ticket);
  await desk.page.getByLabel("Turnarla a la Subdirección").check();
  await desk.page.getByRole("button", { name: "Turnar y emitir folio" }).click();
  await stateIs(desk.page, "Turnada");
  const folio = desk.page.getByText(/^DGTIC\/DSSD\/003\/\d{4}\/\d{6}$/).first();
  await folio.waitFor();
  const folioText = (await folio.textContent()).trim();
  await desk.page.screenshot({ path: `${OUTPUT}/solicitud-turnada.png`, fullPage: true });

  // The sub-directorate accepts, and cannot resolve before confronting.
  const sub = await openAs(context, "subdireccion");
  await openRequest(sub.page, ticket);
  await sub.page.getByRole("button", { name: "Aceptar para atención" }).click();
  await stateIs(sub.page, "En atención");
  await sub.page.getByTestId("simulated-renapo").waitFor();
  // The way shows where the request stands and who acts; resolving waits, saying for what.
  const way = sub.page.getByRole("navigation", { name: "Avance en el procedimiento" });
  assert.equal((await way.locator('[aria-current="step"]').textContent()).trim(), "En atención");
  await way.getByText("Sigue: Subdirección de Operación").waitFor();
  const resolve = sub.page.getByRole("button", { name: "Marcar como atendida" });
  assert.equal(await resolve.isDisabled(), true);
  await sub.page.getByText("Se marca como atendida cuando termine una confronta con RENAPO: iníciela en «Confrontas», abajo.").waitFor();
  await sub.page.screenshot({ path: `${OUTPUT}/solicitud-camino.png`, fullPage: true });

  // It runs the confrontation and watches it progress live.
  await sub.page.getByRole("button", { name: "Iniciar confronta con RENAPO" }).click();
  await sub.page.getByRole("heading", { level: 1, name: new RegExp(`^Confronta \\d+ · ${ticket}$`) }).waitFor();
  const progress = sub.page.getByTestId("progress-text");
  await progress.filter({ hasText: /^[1-9]\d* de 200 registros procesados/ }).first().waitFor();
  await sub.page.screenshot({ path: `${OUTPUT}/confronta-en-proceso.png`, fullPage: true });
  await progress.filter({ hasText: "200 de 200 registros procesados (100.0 %)" }).waitFor();
  await sub.page.locator(".lead .badge").filter({ hasText: "Terminada" }).waitFor();
  const count = async (id) => Number((await sub.page.getByTestId(id).locator("dd").textContent()).replaceAll(",", ""));
  assert.equal(await count("metric-to-process"), 200);
  assert.equal(
    (await count("metric-to-update")) + (await count("metric-no-update")) + (await count("metric-cannot-update")),
    200,
  );
  assert.ok((await count("metric-found")) >= 190, "the simulator knows nearly everyone in the registry");
  assert.ok((await count("metric-queries")) >= (await count("metric-found")), "every record found took a query, each counted");
  assert.deepEqual(await violations(sub.page), [], "confrontation page");

  // The results: filtered to the updates, each with its differences.
  await sub.page.getByLabel("Clasificación").selectOption("update");
  const results = sub.page.getByTestId("results");
  await results.getByRole("cell", { name: "Actualizar" }).first().waitFor();
  await results.locator("summary").first().click();
  await results.locator("table.diff").first().waitFor();
  await sub.page.screenshot({ path: `${OUTPUT}/confronta-terminada.png`, fullPage: true });

  // It applies the results (with confirmation) and downloads the report.
  await sub.page.getByRole("button", { name: "Aplicar al padrón…" }).click();
  await sub.page.getByRole("alertdialog").getByRole("button", { name: "Sí, continuar" }).click();
  await sub.page.getByText(/^Aplicado al padrón: [1-9]\d* productores/).waitFor();
  assert.equal(await count("metric-applied"), await count("metric-to-update"));
  const report = sub.page.waitForEvent("download");
  await sub.page.getByRole("button", { name: "Descargar reporte (.xlsx)" }).click();
  const workbook = await report;
  assert.match(workbook.suggestedFilename(), new RegExp(`^confronta_${ticket}_\\d+\\.xlsx$`));
  const reportPath = `${OUTPUT}/confronta.xlsx`;
  await workbook.saveAs(reportPath);
  const { readFileSync } = await import("node:fs");
  assert.equal(readFileSync(reportPath).subarray(0, 2).toString(), "PK");
  await sub.page.screenshot({ path: `${OUTPUT}/confronta-aplicada.png`, fullPage: true });

  // Back on the request, it resolves.
  await sub.page.getByRole("link", { name: `← Volver a la solicitud ${ticket}` }).click();
  await stateIs(sub.page, "En atención");
  await sub.page.getByRole("cell", { name: "Terminada" }).waitFor();
  // The resolution opens with what the confrontation came to.
  const drafted = await sub.page.getByLabel("Resolución: qué se hizo y con qué resultado").inputValue();
  assert.match(drafted, /^Confronta \d+ con RENAPO terminada: \d+ filas; \d+ por actualizar/);
  await sub.page.getByLabel("Resolución: qué se hizo y con qué resultado").fill("");
  await sub.page.getByRole("button", { name: "Marcar como atendida" }).click();
  await sub.page.locator("#resolve-comment-error").getByText("Este campo es obligatorio.").waitFor();
  await sub.page.getByLabel("Resolución: qué se hizo y con qué resultado").fill("Confronta realizada; resultados aplicados al padrón.");
  await sub.page.getByRole("button", { name: "Marcar como atendida" }).click();
  await stateIs(sub.page, "Atendida");

  // The desk closes it; the timeline holds the whole story.
  await openRequest(desk.page, ticket);
  await desk.page.getByRole("button", { name: "Cerrar ticket" }).click();
  await stateIs(desk.page, "Cerrada");
  const entries = await desk.page.locator(".timeline-item").evaluateAll((items) => items.map((i) => i.dataset.event));
  assert.deepEqual(entries, ["submit", "observe", "resubmit", "forward", "accept", "resolve", "close"]);
  await desk.page.getByText(`Folio: ${folioText}`).waitFor();
  await desk.page.screenshot({ path: `${OUTPUT}/solicitud-cerrada.png`, fullPage: true });

  // The month's KPIs count the confrontation, with the registry's proof-of-life coverage.
  await desk.page.getByRole("link", { name: "Indicadores" }).click();
  await desk.page.getByRole("heading", { level: 1, name: "Indicadores de confrontas" }).waitFor();
  await desk.page.getByRole("heading", { level: 2, name: / · [1-9][\d,]* confrontas?$/ }).waitFor();
  await desk.page.getByTestId("coverage").filter({ hasText: /productores activos tienen vivencia acreditada/ }).waitFor();
  await desk.page.getByRole("table", { name: "Indicadores por unidad" }).getByRole("img").first().waitFor();
  assert.deepEqual(await violations(desk.page), [], "KPI page");
  await desk.page.screenshot({ path: `${OUTPUT}/indicadores.png`, fullPage: true });

  // The area was told of the close.
  await area.page.getByTestId("bell").click();
  await area.page.getByRole("heading", { level: 1, name: "Notificaciones" }).waitFor();
  await area.page.getByRole("link", { name: `${ticket} «${subject}»: ticket cerrado.` }).waitFor();
  // Every step on the way was told, in the area's words: the folio, the attention, the result.
  await area.page.getByRole("link", { name: new RegExp(`^${ticket} «.*»: turnada a la Subdirección con el folio DGTIC/`) }).waitFor();
  await area.page.getByRole("link", { name: `${ticket} «${subject}»: la Subdirección la aceptó y la está atendiendo.` }).waitFor();
  await area.page.getByRole("link", { name: new RegExp(`^${ticket} «.*»: atendida: .+`) }).waitFor();
  await area.page.screenshot({ path: `${OUTPUT}/notificaciones-area.png`, fullPage: true });

  // The closed request shows the area what it came to, and its report to download.
  await openRequest(area.page, ticket);
  const result = area.page.getByRole("region", { name: "Resultado" });
  assert.match(await result.getByTestId("result-summary").textContent(), /^Confronta \d+ con RENAPO terminada: \d+ filas;/);
  const resultFile = area.page.waitForEvent("download");
  await result.getByRole("button", { name: "Descargar resultados (.xlsx)" }).click();
  assert.match((await resultFile).suggestedFilename(), /^confronta_.*\.xlsx$/);
  assert.deepEqual(await violations(area.page), [], "closed request with its result");
  await area.page.screenshot({ path: `${OUTPUT}/solicitud-resultado-area.png`, fullPage: true });

  // The one error the browser logged is the refused layout, on purpose.
  assert.deepEqual(area.errors, ["console: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"]);
  // And the sub-directorate's, the resolution refused before the confrontation.
  assert.deepEqual(sub.errors, []);
  assert.deepEqual(desk.errors, []);
  for (const who of [area, desk, sub]) await who.page.close();
});

test("a request declared not admissible gets its response letter, and is closed", async () => {
  const area = await openAs(context, "area");
  await submitRequest(area.page, { type: /Actualización del certificado/, subject: "Certificado de RENAPO 2027" });
  await area.page.getByRole("button", { name: "Enviar solicitud" }).click();
  const heading = area.page.getByRole("heading", { level: 1, name: /^Solicitud MS-/ });
  await heading.waitFor();
  const ticket = (await heading.textContent()).replace("Solicitud ", "").trim();

  const desk = await openAs(context, "mesa");
  await openRequest(desk.page, ticket);
  await desk.page.getByLabel("Turnarla a la Subdirección").check();
  await desk.page.getByRole("button", { name: "Turnar y emitir folio" }).click();
  await stateIs(desk.page, "Turnada");

  const sub = await openAs(context, "subdireccion");
  await openRequest(sub.page, ticket);
  await sub.page.getByLabel("Motivo por el que no procede (va en el oficio de respuesta)").fill("La solicitud la debe presentar la unidad que administra el servicio web.");
  // A destructive step asks first, naming the ticket; its outcome is no green success.
  sub.page.once("dialog", (dialog) => {
    assert.match(dialog.message(), new RegExp(`¿Declarar no procedente la solicitud ${ticket}\\?`));
    dialog.accept();
  });
  await sub.page.getByRole("button", { name: "Declarar no procedente" }).click();
  await stateIs(sub.page, "No procedente");
  await sub.page.locator(".alert-warn", { hasText: "Declarada no procedente." }).waitFor();
  await sub.page.getByRole("cell", { name: `oficio_respuesta_${ticket}.pdf`, exact: true }).waitFor();
  await sub.page.screenshot({ path: `${OUTPUT}/solicitud-no-procedente.png`, fullPage: true });

  await openRequest(desk.page, ticket);
  await desk.page.getByRole("button", { name: "Cerrar ticket" }).click();
  await stateIs(desk.page, "Cerrada");

  await openRequest(area.page, ticket);
  await stateIs(area.page, "Cerrada");
  const download = area.page.waitForEvent("download");
  await area.page.getByRole("button", { name: `Descargar oficio_respuesta_${ticket}.pdf` }).first().click();
  const letter = await download;
  assert.equal(letter.suggestedFilename(), `oficio_respuesta_${ticket}.pdf`);
  const path = `${OUTPUT}/oficio_respuesta.pdf`;
  await letter.saveAs(path);
  const { readFileSync } = await import("node:fs");
  assert.equal(readFileSync(path).subarray(0, 5).toString(), "%PDF-");
  await area.page.screenshot({ path: `${OUTPUT}/solicitud-cerrada-con-oficio.png`, fullPage: true });

  for (const who of [area, desk, sub]) {
    assert.deepEqual(who.errors, []);
    await who.page.close();
  }
});

test("each role's dashboard shows what waits for it, and the admin edits service levels", async () => {
  const admin = await openAs(context, "admin");
  await admin.page.getByRole("region", { name: "Solicitudes por estado" }).waitFor();
  await goTo(admin.page, "Administración", "Niveles de servicio");
  await admin.page.getByRole("heading", { level: 1, name: "Niveles de servicio" }).waitFor();
  const days = admin.page.getByLabel("Plazo de SAT — Atención");
  assert.equal(await days.inputValue(), "27");
  await days.fill("28");
  await admin.page.getByRole("row").filter({ has: days }).getByRole("button", { name: "Guardar" }).click();
  await admin.page.getByText("SAT — Atención: 28 días hábiles, aviso con 5 restantes.").waitFor();
  await days.fill("27");
  await admin.page.getByRole("row").filter({ has: days }).getByRole("button", { name: "Guardar" }).click();
  await admin.page.getByText("SAT — Atención: 27 días hábiles, aviso con 5 restantes.").waitFor();
  await admin.page.screenshot({ path: `${OUTPUT}/admin-niveles-servicio.png`, fullPage: true });

  await goTo(admin.page, "Administración", "Calendario");
  await admin.page.getByRole("heading", { level: 1, name: "Calendario de días hábiles" }).waitFor();
  await admin.page.getByRole("cell", { name: "LFT art. 74" }).first().waitFor();
  await admin.page.screenshot({ path: `${OUTPUT}/admin-calendario.png`, fullPage: true });

  const desk = await openAs(context, "mesa");
  await desk.page.getByRole("region", { name: /Pendientes de su atención/ }).waitFor();
  await desk.page.screenshot({ path: `${OUTPUT}/tablero-mesa.png`, fullPage: true });
  for (const who of [admin, desk]) {
    assert.deepEqual(who.errors, []);
    await who.page.close();
  }
});
