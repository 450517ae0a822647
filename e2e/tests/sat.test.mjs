// A SAT request from submission to close with the exchange file: the area submits
// the layout of CURPs and RFCs, the desk forwards it, the sub-directorate accepts it, cannot
// resolve before confronting, starts a SAT confrontation by exchange file, downloads the RFC
// list for the SAT, has a malformed answer file refused row by row, imports the corrected one,
// applies the opinions, verifies one opinion's QR against the registry and resolves; the desk
// closes it and sees the SAT KPIs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { OUTPUT, goTo, launch, violations } from "./browser.mjs";
import { call, openAs, openRequest, registryPage, requestInAttention, stateIs, submitRequest, tokenOf } from "./procedure.mjs";

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

/** Farmers of the registry with an RFC and no opinion yet (a random page, so reruns meet
 * fresh ones). */
async function farmersWithRfc(count) {
  const farmers = await registryPage(100, 2 + Math.floor(Math.random() * 40));
  return farmers.filter((f) => f.rfc && !f.sat_opinion).slice(0, count);
}

/** A day as the SAT prints it, dd-mm-yyyy: today, or `daysAgo` before. */
function today(daysAgo = 0) {
  const day = new Date(Date.now() - daysAgo * 86_400_000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(day.getDate())}-${pad(day.getMonth() + 1)}-${day.getFullYear()}`;
}

function answerFile(lines) {
  return Buffer.from(["RFC,SENTIDO,FOLIO,FECHA_EMISION", ...lines].join("\n"), "utf8");
}

test("a SAT request goes from submission to close with the exchange file", async () => {
  const farmers = await farmersWithRfc(12);
  assert.equal(farmers.length, 12, "the registry has farmers with an RFC and no opinion yet");
  const area = await openAs(context, "area");
  const subject = `Opinión 32-D ${Date.now()}`;

  // The area submits the layout: CURP and RFC (one left blank: the registry's is used).
  const layout = ["CURP,RFC", ...farmers.map((f, i) => `${f.curp},${i === 0 ? "" : f.rfc}`)].join("\n");
  await submitRequest(area.page, { type: /Opinión de cumplimiento SAT/, subject, layout });
  await area.page.getByText("El layout está listo: 12 filas válidas.").waitFor();
  await area.page.getByRole("button", { name: "Enviar solicitud" }).click();
  const heading = area.page.getByRole("heading", { level: 1, name: /^Solicitud MS-\d{4}-\d{6}$/ });
  await heading.waitFor();
  const ticket = (await heading.textContent()).replace("Solicitud ", "").trim();

  const desk = await openAs(context, "mesa");
  await openRequest(desk.page, ticket);
  await desk.page.getByLabel("Turnarla a la Subdirección").check();
  await desk.page.getByRole("button", { name: "Turnar y emitir folio" }).click();
  await stateIs(desk.page, "Turnada");

  // The sub-directorate accepts, cannot resolve yet, and starts by exchange file.
  const sub = await openAs(context, "subdireccion");
  await openRequest(sub.page, ticket);
  await sub.page.getByRole("button", { name: "Aceptar para atención" }).click();
  await stateIs(sub.page, "En atención");
  assert.equal(await sub.page.getByRole("button", { name: "Marcar como atendida" }).isDisabled(), true);
  await sub.page.getByText("Se marca como atendida cuando termine una confronta con el SAT: iníciela en «Confrontas», abajo.").waitFor();
  const providers = sub.page.getByRole("group", { name: "¿Cómo se obtienen las opiniones del SAT?" });
  assert.ok(await providers.getByLabel(/Archivo de intercambio/).isChecked(), "the exchange file is the default");
  assert.deepEqual(await violations(sub.page), [], "request page with the SAT provider choice");
  await sub.page.screenshot({ path: `${OUTPUT}/sat-inicio.png`, fullPage: true });
  await sub.page.getByRole("button", { name: "Iniciar confronta con el SAT" }).click();
  await sub.page.getByRole("heading", { level: 1, name: new RegExp(`^Confronta \\d+ · ${ticket}$`) }).waitFor();
  await stateIs(sub.page, "En espera de la autoridad");
  await sub.page.getByText(/En espera del archivo de respuesta del SAT/).waitFor();
  assert.equal(await sub.page.getByRole("button", { name: "Pausar" }).count(), 0, "an exchange-file job does not pause");

  // The RFC list for the SAT, fixed width.
  const listing = sub.page.waitForEvent("download");
  await sub.page.getByRole("button", { name: "Descargar lista de RFC (.txt)" }).click();
  const list = await listing;
  assert.match(list.suggestedFilename(), new RegExp(`^sat_32d_${ticket}_\\d+\\.txt$`));
  await list.saveAs(`${OUTPUT}/sat_32d.txt`);
  const rfcs = readFileSync(`${OUTPUT}/sat_32d.txt`, "latin1").split("\r\n").filter(Boolean).map((line, i) => {
    assert.equal(line.length, 20);
    assert.equal(line.slice(0, 7), String(i + 1).padStart(7, "0"));
    return line.slice(7).trim();
  });
  assert.deepEqual(rfcs, farmers.map((f) => f.rfc));
  assert.deepEqual(await violations(sub.page), [], "confrontation page waiting for the SAT");
  await sub.page.screenshot({ path: `${OUTPUT}/sat-archivo-intercambio.png`, fullPage: true });

  // A malformed answer is refused whole, row by row.
  const date = today();
  const answers = farmers.map((f, i) => `${f.rfc},${i === 1 ? "NEGATIVO" : "POSITIVO"},26NE${String(9000000 + i)},${date}`);
  const malformed = [...answers.slice(0, 11), `${farmers[11].rfc},QUIZÁ,26NE1,${date}`, "XAXX010101000,POSITIVO,26NE2,01-01-2026"];
  const picker = sub.page.getByLabel("Respuesta del SAT (.xlsx o .csv)");
  await picker.setInputFiles({ name: "respuesta_mala.csv", mimeType: "text/csv", buffer: answerFile(malformed) });
  await sub.page.getByRole("button", { name: "Importar respuesta" }).click();
  const refused = sub.page.getByTestId("answer-errors");
  await refused.getByText("No se importó «respuesta_mala.csv»: 2 de 13 filas tienen errores.", { exact: false }).waitFor();
  await refused.getByRole("cell", { name: /Sentido «QUIZÁ» no reconocido/ }).waitFor();
  await refused.getByRole("cell", { name: "Ese RFC no se envió al SAT en esta confronta." }).waitFor();
  await stateIs(sub.page, "En espera de la autoridad");
  assert.deepEqual(await violations(sub.page), [], "answer file refused");
  await sub.page.screenshot({ path: `${OUTPUT}/sat-respuesta-rechazada.png`, fullPage: true });

  // The corrected answer is imported: the confrontation ends with the opinions.
  await picker.setInputFiles({ name: "respuesta.csv", mimeType: "text/csv", buffer: answerFile(answers) });
  await sub.page.getByRole("button", { name: "Importar respuesta" }).click();
  await sub.page.getByText("Se importó «respuesta.csv»: 12 de 12 RFC con respuesta.").waitFor();
  await stateIs(sub.page, "Terminada");
  const outcomes = sub.page.getByTestId("outcomes");
  await outcomes.locator('[data-outcome="positiva"] dd').filter({ hasText: "11 · 91.67 %" }).waitFor();
  await outcomes.locator('[data-outcome="negativa"] dd').filter({ hasText: "1 · 8.33 %" }).waitFor();
  const results = sub.page.getByTestId("results");
  await results.getByRole("cell", { name: farmers[1].rfc }).waitFor();
  await results.getByRole("cell", { name: /^Negativa · folio 26NE9000001 · vigente hasta/ }).waitFor();
  assert.deepEqual(await violations(sub.page), [], "SAT confrontation finished");
  await sub.page.screenshot({ path: `${OUTPUT}/sat-confronta-terminada.png`, fullPage: true });

  // It applies the opinions and downloads the report.
  await sub.page.getByRole("button", { name: "Aplicar al padrón…" }).click();
  await sub.page.getByRole("alertdialog").getByRole("button", { name: "Sí, continuar" }).click();
  await sub.page.getByText("Aplicado al padrón: 12 productores").waitFor();
  const reporting = sub.page.waitForEvent("download");
  await sub.page.getByRole("button", { name: "Descargar resultados (.csv)" }).click();
  const report = await reporting;
  await report.saveAs(`${OUTPUT}/sat.csv`);
  const csv = readFileSync(`${OUTPUT}/sat.csv`, "utf8");
  assert.match(csv.split("\n")[0], /Sentido de la opinión/);
  assert.match(csv, /Negativa/);

  // The farmer's page shows the opinion; its QR verifies against the registry.
  await sub.page.getByRole("link", { name: farmers[1].curp }).click();
  await sub.page.getByTestId("sat-validity").getByText("Vigente", { exact: true }).waitFor();
  await sub.page.getByRole("definition").filter({ hasText: "26NE9000001" }).waitFor();
  await sub.page.locator("ol .after").filter({ hasText: "26NE9000001" }).waitFor(); // and in the history
  await sub.page.screenshot({ path: `${OUTPUT}/sat-productor.png`, fullPage: true });
  await goTo(sub.page, "Padrón", "Verificar opinión SAT");
  await sub.page.getByRole("heading", { level: 1, name: "Verificar opinión de cumplimiento (32-D)" }).waitFor();
  const qr = (folio) => `https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=1&D2=1&D3=${folio}_${farmers[1].rfc}_${date}_N`;
  await sub.page.getByLabel("Dirección del código QR").fill("https://example.com/?D1=1");
  await sub.page.getByRole("button", { name: "Verificar" }).click();
  await sub.page.locator("#qr-url-error").getByText(/no es la del validador/).waitFor();
  await sub.page.getByLabel("Dirección del código QR").fill(qr("26NE9000001"));
  await sub.page.getByRole("button", { name: "Verificar" }).click();
  const opinion = sub.page.getByTestId("opinion");
  await opinion.getByRole("heading", { name: "Opinión 26NE9000001 · Negativa" }).waitFor();
  await opinion.getByText("Vigente", { exact: true }).waitFor();
  await sub.page.getByTestId("matches").getByText("Sí, es la registrada").waitFor();
  assert.deepEqual(await violations(sub.page), [], "opinion verification");
  await sub.page.screenshot({ path: `${OUTPUT}/sat-verificacion.png`, fullPage: true });

  // Back on the request, it resolves; the desk closes it.
  await openRequest(sub.page, ticket);
  await sub.page.getByLabel("Resolución: qué se hizo y con qué resultado").fill("Opiniones del SAT registradas en el padrón.");
  await sub.page.getByRole("button", { name: "Marcar como atendida" }).click();
  await stateIs(sub.page, "Atendida");
  await openRequest(desk.page, ticket);
  await desk.page.getByRole("button", { name: "Cerrar ticket" }).click();
  await stateIs(desk.page, "Cerrada");

  // The SAT KPIs of the year count the opinions.
  await desk.page.getByRole("link", { name: "Indicadores" }).click();
  await desk.page.getByLabel("Tipo de periodo").selectOption({ label: "Año" });
  await desk.page.getByLabel("Año", { exact: true }).selectOption(String(new Date().getFullYear()));
  await desk.page.getByLabel("Autoridad").selectOption("sat");
  await desk.page.getByRole("button", { name: "Consultar" }).click();
  await desk.page.getByTestId("outcomes").locator('[data-outcome="negativa"]').waitFor();
  assert.deepEqual(await violations(desk.page), [], "SAT KPI page");
  await desk.page.screenshot({ path: `${OUTPUT}/sat-indicadores.png`, fullPage: true });

  assert.deepEqual(area.errors, []);
  assert.deepEqual(sub.errors, []);
  assert.deepEqual(desk.errors, []);
  for (const who of [area, desk, sub]) await who.page.close();
});

test("another farmer's RFC is refused on its row and an opinion that arrives expired is marked", async () => {
  // Three farmers with an RFC and no opinion; the first and second born on different days.
  const [first, second, third] = (await farmersWithRfc(40))
    .filter((f, i, all) => i === 0 || f.rfc.slice(4, 10) !== all[0].rfc.slice(4, 10))
    .slice(0, 3);
  const subject = `RFC ajeno ${Date.now()}`;
  const request = await requestInAttention("sat", ["CURP,RFC", `${first.curp},${second.rfc}`, `${third.curp},${third.rfc}`], subject);
  const token = await tokenOf("subdireccion");
  let response = await call(token, "POST", `/api/v1/requests/${request.id}/confrontations?provider=exchange_file`, {});
  assert.equal(response.status, 201);
  const job = await response.json();
  response = await call(token, "GET", `/api/v1/confrontations/${job.id}/sat/exchange.txt`);
  const sent = (await response.text()).split("\r\n").filter(Boolean).map((line) => line.slice(7).trim());
  assert.deepEqual(sent, [third.rfc], "the SAT is not asked about an RFC that is not the farmer's");
  // The SAT answers with an opinion issued 200 days ago: long past its three months.
  const form = new FormData();
  form.append("file", new Blob([answerFile([`${third.rfc},POSITIVO,26NE7000001,${today(200)}`])], { type: "text/csv" }), "respuesta.csv");
  response = await call(token, "POST", `/api/v1/confrontations/${job.id}/sat/answers`, form);
  assert.equal(response.status, 200);

  const sub = await openAs(context, "subdireccion");
  await openRequest(sub.page, request.ticket_number);
  await sub.page.getByRole("link", { name: `Confronta ${job.id}` }).click();
  await stateIs(sub.page, "Terminada");
  const results = sub.page.getByTestId("results");
  const refused = results.getByRole("row").filter({ hasText: first.curp });
  await refused.getByRole("cell", { name: "El RFC no corresponde a la CURP" }).waitFor();
  await refused.getByRole("cell", { name: "No se puede actualizar" }).waitFor();
  await refused.getByRole("cell", { name: second.rfc }).waitFor();
  await results.getByRole("cell", { name: /^Positiva · folio 26NE7000001 · vigente hasta .* · Vencida · Requiere nueva opinión$/ }).waitFor();
  await sub.page.getByTestId("sat-expired").getByText("1 · 100.00 %").waitFor();
  await sub.page.getByTestId("sat-rfc-problems").getByText("1 · 50.00 %").waitFor();
  assert.deepEqual(await violations(sub.page), [], "results with a refused RFC and an expired opinion");
  await sub.page.screenshot({ path: `${OUTPUT}/sat-rfc-ajeno-y-vencida.png`, fullPage: true });

  await sub.page.getByRole("button", { name: "Aplicar al padrón…" }).click();
  await sub.page.getByRole("alertdialog").getByRole("button", { name: "Sí, continuar" }).click();
  await sub.page.getByText("Aplicado al padrón: 1 productor,").waitFor();
  await sub.page.getByRole("link", { name: third.curp }).click();
  await sub.page.getByTestId("sat-validity").getByText("Vencida", { exact: true }).waitFor();
  await sub.page.getByTestId("sat-eligibility").getByText("Requiere nueva opinión", { exact: true }).waitFor();
  await sub.page.screenshot({ path: `${OUTPUT}/sat-opinion-vencida.png`, fullPage: true });
  await sub.page.goBack();
  await sub.page.getByRole("link", { name: first.curp }).click();
  await sub.page.getByRole("definition").filter({ hasText: first.rfc }).waitFor();
  assert.deepEqual(sub.errors, []);
  await sub.page.close();
});

test("an administrator changes the eligibility policy and farmers are judged by it at once", async () => {
  const admin = await openAs(context, "admin");
  await goTo(admin.page, "Administración", "Elegibilidad");
  await admin.page.getByRole("heading", { level: 1, name: "Política de elegibilidad" }).waitFor();
  const noObligations = admin.page.getByLabel("Inscrito sin obligaciones: elegible");
  const wasEligible = await noObligations.isChecked();
  await noObligations.setChecked(!wasEligible);
  await admin.page.getByLabel("Condiciones para «Inscrito sin obligaciones»").fill("si el apoyo anual no rebasa 40 UMA");
  await admin.page.getByRole("button", { name: "Guardar política" }).click();
  await admin.page.locator("#policy-comment:invalid").waitFor(); // the reason is required
  await admin.page.getByLabel("Motivo del cambio (p. ej., las reglas de operación del programa)").fill("Reglas de operación 2027");
  await admin.page.getByRole("button", { name: "Guardar política" }).click();
  await admin.page.getByText(/^Política guardada \(versión \d+\)\.$/).waitFor();
  await admin.page.getByTestId("policy-version").getByText(/Motivo: Reglas de operación 2027/).waitFor();
  assert.deepEqual(await violations(admin.page), [], "eligibility policy page");
  await admin.page.screenshot({ path: `${OUTPUT}/admin-elegibilidad.png`, fullPage: true });

  const token = await tokenOf("subdireccion");
  const policy = await (await call(token, "GET", "/api/v1/sat/eligibility-policy")).json();
  const rule = policy.rules.find((r) => r.outcome === "inscrito_sin_obligaciones");
  assert.equal(rule.eligible, !wasEligible);
  assert.equal(rule.condition, "si el apoyo anual no rebasa 40 UMA");
  assert.deepEqual(admin.errors, []);
  await admin.page.close();
});
