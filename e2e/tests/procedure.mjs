// Steps of the request procedure the browser tests share: a tab per role, opening a request by
// its ticket, waiting for its state, and a token for reading data through the API.
import { BASE_URL, DEMO_PASSWORD, logIn, watchErrors } from "./browser.mjs";

/** A new tab of `context` logged in as the demo user of `role` (each tab its own session). */
export async function openAs(context, role) {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, `${role}@demo.confrontas.mx`, DEMO_PASSWORD);
  await page.getByRole("heading", { level: 1, name: /^Hola/ }).waitFor();
  return { page, errors };
}

export async function openRequest(page, ticket) {
  await page.getByRole("link", { name: "Solicitudes", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Solicitudes" }).waitFor();
  await page.getByLabel("Ticket, folio, CURP o asunto").fill(ticket);
  await page.getByRole("button", { name: "Filtrar" }).click();
  await page.getByRole("link", { name: ticket }).click();
  await page.getByRole("heading", { level: 1, name: `Solicitud ${ticket}` }).waitFor();
}

export const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n");

/** Fills the new-request form (the layout, when given, is checked before sending). */
export async function submitRequest(page, { type, subject, layout }) {
  await page.getByRole("link", { name: "Solicitudes", exact: true }).click();
  await page.getByRole("link", { name: "Nueva solicitud" }).click();
  await page.getByRole("heading", { level: 1, name: "Nueva solicitud" }).waitFor();
  await page.getByLabel(type).check();
  await page.getByLabel("Asunto").fill(subject);
  await page.getByLabel("Nombre de quien firma el oficio").fill("Ing. Ana Pérez Gómez");
  await page.getByLabel("Cargo de quien firma (Director de Área o superior)").fill("Directora General de Fomento a la Agricultura");
  await page.getByLabel("Oficio firmado (PDF)").setInputFiles({ name: "oficio.pdf", mimeType: "application/pdf", buffer: PDF });
  if (layout) {
    await page.getByLabel("Layout de CURP (.xlsx o .csv)").setInputFiles({
      name: "layout.csv", mimeType: "text/csv", buffer: Buffer.from(layout, "utf8"),
    });
    await page.getByRole("button", { name: "Revisar el layout antes de enviar" }).click();
  }
}

/** Waits for the state badge of the request (or confrontation) page. */
export async function stateIs(page, label) {
  await page.locator(".lead .badge").filter({ hasText: label }).first().waitFor();
}

/** An access token of the demo user of `role`, for steps taken through the API. */
export async function tokenOf(role) {
  const login = await fetch(`${BASE_URL}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: `${role}@demo.confrontas.mx`, password: DEMO_PASSWORD }),
  });
  return (await login.json()).access_token;
}

/** Calls the API with `token`; JSON bodies are sent as JSON, FormData as multipart. */
export async function call(token, method, path, body) {
  const headers = { authorization: `Bearer ${token}` };
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  return fetch(`${BASE_URL}${path}`, { method, headers, body: payload });
}

/** A page of the registry, sorted by CURP, read as the sub-directorate. */
export async function registryPage(perPage, page) {
  const farmers = await call(await tokenOf("subdireccion"), "GET", `/api/v1/farmers?per_page=${perPage}&page=${page}&sort=curp`);
  return (await farmers.json()).items;
}

/** A request of `kind` (`renapo`, `sat`) with these layout `lines` (header included),
 * submitted by the area, forwarded by the desk and accepted by the sub-directorate through the
 * API. */
export async function requestInAttention(kind, lines, subject = `Solicitud ${kind} ${Date.now()}`) {
  const form = new FormData();
  form.append("request_type", kind);
  form.append("subject", subject);
  form.append("signer_name", "Ing. Ana Pérez Gómez");
  form.append("signer_position", "Directora General de Fomento a la Agricultura");
  form.append("oficio", new Blob([PDF], { type: "application/pdf" }), "oficio.pdf");
  form.append("layout", new Blob([lines.join("\n")], { type: "text/csv" }), "layout.csv");
  let response = await call(await tokenOf("area"), "POST", "/api/v1/requests", form);
  if (response.status !== 201) throw new Error(`submission: ${response.status} ${await response.text()}`);
  let request = await response.json();
  for (const [action, role] of [["forward", "mesa"], ["accept", "subdireccion"]]) {
    response = await call(await tokenOf(role), "POST", `/api/v1/requests/${request.id}/${action}`, { version: request.version });
    if (response.status !== 200) throw new Error(`${action}: ${response.status} ${await response.text()}`);
    request = await response.json();
  }
  return request;
}
