// RENAPO's certificate lifecycle in the browser: the simulated RENAPO
// rotates its certificate and hands out the new one; a confrontation started then waits with
// a clear "certificate not trusted" reason; the area asks for the certificate update, the desk
// forwards it, the sub-directorate accepts it, attaches the new certificate (the deployment
// clock starts), cannot resolve before deploying, deploys it without a restart (the clock
// stops, the waiting confrontation finishes by itself), verifies it and resolves; a second
// rotation is uploaded from the certificates page, deployed and rolled back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, OUTPUT, goTo, launch, violations } from "./browser.mjs";
import { call, openAs, openRequest, registryPage, requestInAttention, stateIs, submitRequest, tokenOf } from "./procedure.mjs";

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

/** The simulated RENAPO rotates; what it would e-mail, as a file for the browser. */
async function rotation(name) {
  const response = await call(await tokenOf("admin"), "POST", "/api/v1/simulator/renapo/rotation", { to: "new_authority" });
  assert.equal(response.status, 200);
  return { name, mimeType: "application/x-pem-file", buffer: Buffer.from(await response.text(), "utf8") };
}

test("RENAPO's new certificate is deployed without restart, verified, and rolled back", async () => {
  const curps = (await registryPage(40, 3 + Math.floor(Math.random() * 40))).map((f) => f.curp);
  const renapo = await requestInAttention("renapo", ["CURP", ...curps], `Vivencia tras la rotación ${Date.now()}`);
  const stamp = Date.now();
  const firstFile = await rotation(`renapo-nuevo-${stamp}.pem`);

  // A confrontation started now waits for the certificate, with the reason.
  const sub = await openAs(context, "subdireccion");
  await openRequest(sub.page, renapo.ticket_number);
  await sub.page.getByRole("button", { name: "Iniciar confronta con RENAPO" }).click();
  await sub.page.getByRole("heading", { level: 1, name: /^Confronta \d+ · / }).waitFor();
  const jobUrl = sub.page.url();
  await stateIs(sub.page, "En espera de la autoridad");
  await sub.page.getByText(/El certificado de RENAPO no es de confianza/).waitFor();
  await sub.page.screenshot({ path: `${OUTPUT}/certificado-confronta-en-espera.png`, fullPage: true });
  // Every page of the sub-directorate says so, with the way to the certificates.
  await sub.page.getByRole("link", { name: "Inicio" }).click();
  const trouble = sub.page.getByTestId("certificate-trouble");
  await trouble.getByText(/RENAPO presentó un certificado que Confrontas no reconoce/).waitFor();
  await trouble.getByRole("link", { name: /Desplegar el certificado vigente/ }).waitFor();
  assert.deepEqual(await violations(sub.page), [], "home with the certificate alert");
  await sub.page.screenshot({ path: `${OUTPUT}/certificado-alerta.png` });

  // The area asks for the update; the desk forwards; the sub-directorate accepts.
  const area = await openAs(context, "area");
  await submitRequest(area.page, { type: /Actualización del certificado/, subject: `Certificado RENAPO ${Date.now()}` });
  await area.page.getByRole("button", { name: "Enviar solicitud" }).click();
  const heading = area.page.getByRole("heading", { level: 1, name: /^Solicitud MS-/ });
  await heading.waitFor();
  const ticket = (await heading.textContent()).replace("Solicitud ", "").trim();
  const desk = await openAs(context, "mesa");
  assert.equal(await desk.page.getByTestId("certificate-trouble").count(), 0, "the desk cannot deploy");
  await openRequest(desk.page, ticket);
  await desk.page.getByLabel("Turnarla a la Subdirección").check();
  await desk.page.getByRole("button", { name: "Turnar y emitir folio" }).click();
  await stateIs(desk.page, "Turnada");
  await openRequest(sub.page, ticket);
  await sub.page.getByRole("button", { name: "Aceptar para atención" }).click();
  await stateIs(sub.page, "En atención");

  // The certificate RENAPO sent is attached: checked on arrival, the deployment clock starts.
  await sub.page.getByLabel("Tipo de documento").selectOption("certificate");
  await sub.page.getByLabel(/^Archivo \(/).setInputFiles(firstFile);
  await sub.page.getByRole("button", { name: "Agregar documento" }).click();
  const list = sub.page.getByTestId("certificates");
  await list.getByText("Cargado", { exact: true }).waitFor();
  await list.getByText("Nombres: localhost, 127.0.0.1").waitFor();
  const clock = sub.page.getByRole("row", { name: /Despliegue del certificado/ });
  await clock.getByText("En tiempo", { exact: true }).waitFor();
  await sub.page.getByLabel("Resolución: qué se hizo y con qué resultado").fill("Certificado actualizado.");
  await sub.page.getByRole("button", { name: "Marcar como atendida" }).click();
  await sub.page.getByText(/no tiene un certificado desplegado/).waitFor();
  assert.deepEqual(await violations(sub.page), [], "certificate request with its certificate");
  await sub.page.screenshot({ path: `${OUTPUT}/certificado-recibido.png`, fullPage: true });

  // Deployed without a restart: the clock stops; then verified live.
  await list.getByRole("button", { name: "Desplegar…" }).click();
  await sub.page.getByRole("alertdialog").getByRole("button", { name: "Sí, desplegar" }).click();
  await sub.page.getByText(/^Certificado desplegado: /).waitFor();
  await sub.page.reload();
  await sub.page.getByRole("row", { name: /Despliegue del certificado/ }).getByText("Atendida en tiempo").waitFor();
  await sub.page.getByTestId("certificates").getByText("Desplegado", { exact: true }).waitFor();
  assert.equal(await sub.page.getByTestId("certificate-trouble").count(), 0, "mended");
  await sub.page.getByTestId("certificates").getByRole("button", { name: "Verificar" }).click();
  await sub.page.getByText(/^Verificación exitosa: Conexión TLS establecida/).waitFor();
  await sub.page.screenshot({ path: `${OUTPUT}/certificado-desplegado.png`, fullPage: true });

  // The waiting confrontation finished by itself.
  await sub.page.goto(jobUrl);
  await stateIs(sub.page, "Terminada");

  // The request resolves; the desk closes it.
  await openRequest(sub.page, ticket);
  await sub.page.getByLabel("Resolución: qué se hizo y con qué resultado").fill("Certificado desplegado y verificado.");
  await sub.page.getByRole("button", { name: "Marcar como atendida" }).click();
  await stateIs(sub.page, "Atendida");
  await openRequest(desk.page, ticket);
  await desk.page.getByRole("button", { name: "Cerrar ticket" }).click();
  await stateIs(desk.page, "Cerrada");
  const events = await desk.page.locator(".timeline-item").evaluateAll((items) => items.map((i) => i.dataset.event));
  assert.deepEqual(events, ["submit", "forward", "accept", "certificate_received", "certificate_deployed", "resolve", "close"]);

  // The dashboard counts the days to expiry.
  await desk.page.getByRole("link", { name: "Inicio" }).click();
  await desk.page.getByTestId("certificate-status").getByText(/vence en 36\d días/).waitFor();

  // A second rotation, uploaded from the certificates page, deployed, then rolled back.
  // This time the administration makes the simulated RENAPO rotate from the certificates page.
  const admin = await openAs(context, "admin");
  await goTo(admin.page, "Herramientas", "Certificado RENAPO");
  const handing = admin.page.waitForEvent("download");
  await admin.page.getByRole("button", { name: "Rotar con una nueva autoridad" }).click();
  const handed = await handing;
  assert.equal(handed.suggestedFilename(), "certificado_renapo.pem");
  const secondName = `renapo-siguiente-${stamp}.crt`;
  const secondFile = `${OUTPUT}/${secondName}`;
  await handed.saveAs(secondFile);
  await admin.page.getByText(/rotó su certificado/).waitFor();
  await goTo(sub.page, "Herramientas", "Certificado RENAPO");
  await sub.page.getByRole("heading", { level: 1, name: "Certificado de RENAPO" }).waitFor();
  await sub.page.getByTestId("certificates").getByText("Desplegado", { exact: true }).waitFor();
  assert.equal(await sub.page.getByRole("button", { name: "Regresar al certificado anterior…" }).count(), 0,
    "nothing to roll back to yet");
  await sub.page.getByLabel("Certificado (.pem, .crt, .cer o .der)").setInputFiles(secondFile);
  await sub.page.getByRole("button", { name: "Cargar y revisar" }).click();
  await sub.page.getByText(/^Certificado revisado y cargado: /).waitFor();
  const uploaded = sub.page.getByTestId("certificates").getByRole("row").filter({ hasText: secondName });
  await uploaded.getByRole("button", { name: "Desplegar…" }).click();
  await sub.page.getByRole("alertdialog").getByRole("button", { name: "Sí, desplegar" }).click();
  await sub.page.getByText(/^Certificado desplegado: /).waitFor();
  await uploaded.getByText("Desplegado", { exact: true }).waitFor();
  await sub.page.getByTestId("countdown").getByText(/vence en 36\d días/).waitFor();
  assert.deepEqual(await violations(sub.page), [], "certificates page");
  await sub.page.screenshot({ path: `${OUTPUT}/certificados.png`, fullPage: true });
  await sub.page.getByRole("button", { name: "Regresar al certificado anterior…" }).click();
  await sub.page.getByRole("alertdialog").getByRole("button", { name: "Sí, regresar" }).click();
  await sub.page.getByText(/^Se regresó al certificado /).waitFor();
  await uploaded.getByText("Retirado", { exact: true }).waitFor();
  await sub.page.screenshot({ path: `${OUTPUT}/certificado-rollback.png`, fullPage: true });
  // RENAPO presents the second one: deploying it again restores the service for what follows.
  await uploaded.getByRole("button", { name: "Desplegar…" }).click();
  await sub.page.getByRole("alertdialog").getByRole("button", { name: "Sí, desplegar" }).click();
  await uploaded.getByText("Desplegado", { exact: true }).waitFor();
  await uploaded.getByRole("button", { name: "Verificar" }).click();
  await sub.page.getByText(/^Verificación exitosa: /).waitFor();

  // The one error the browser logged is the refused resolution, on purpose.
  assert.deepEqual(sub.errors, ["console: Failed to load resource: the server responded with a status of 409 (Conflict)"]);
  assert.deepEqual(desk.errors, []);
  assert.deepEqual(area.errors, []);
  assert.deepEqual(admin.errors, []);
  for (const who of [area, desk, sub, admin]) await who.page.close();
});
