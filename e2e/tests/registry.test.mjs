// The sub-directorate imports farmers, finds one of them and reads its history; the import's
// refused rows are shown with their reasons.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE_URL, DEMO_PASSWORD, OUTPUT, goTo, launch, logIn, watchErrors } from "./browser.mjs";
import { corrupt, makeCurp } from "./curp.mjs";

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

test("import a registry file, search the new farmer and read its history", async () => {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, "subdireccion@demo.confrontas.mx", DEMO_PASSWORD);
  await goTo(page, "Padrón", "Importar padrón");
  await page.getByRole("heading", { level: 1, name: "Importar padrón" }).waitFor();

  // Submitting without a file names the field.
  await page.getByRole("button", { name: "Importar" }).click();
  await page.locator("#file-error").getByText("Elija el archivo del padrón (.xlsx o .csv).").waitFor();

  const seed = Date.now() % 67000;
  const curp = makeCurp(seed);
  const other = makeCurp(seed + 1);
  const csv = [
    "CURP;Nombre(s);Primer apellido;Segundo apellido;Entidad;Municipio",
    `${curp};José Ñeco;Núñez;Peña;Jalisco;Tlaquepaque`,
    `${other};María;López;;JC;Zapopan`,
    `${corrupt(curp)};Error;De captura;;;`,
  ].join("\r\n");
  await page.getByLabel("Archivo del padrón (.xlsx o .csv)").setInputFiles({
    name: "padron-prueba.csv", mimeType: "text/csv", buffer: Buffer.from(csv, "utf8"),
  });
  await page.getByRole("button", { name: "Importar" }).click();
  await page.getByText(/Se recibió «padron-prueba.csv»; la importación \d+ está en proceso\./).waitFor();
  const row = page.getByRole("row").filter({ hasText: "padron-prueba.csv" }).first();
  await row.getByText("Terminada").waitFor({ timeout: 30000 });
  const cells = await row.getByRole("cell").allTextContents();
  // Núm., Archivo, Estado, Avance, Altas, Actualizados, Sin cambios, Rechazadas…
  assert.match(cells[3], /100 %/);
  assert.equal(cells[4], "2");
  assert.match(cells[7], /^1/);
  await row.getByRole("button", { name: /Ver filas rechazadas/ }).click();
  const refused = page.getByRole("row").filter({ hasText: corrupt(curp) });
  await refused.getByText("El dígito verificador de la CURP (posición 18) no corresponde.").waitFor();
  assert.equal((await refused.getByRole("cell").first().textContent()).trim(), "4");
  await page.screenshot({ path: `${OUTPUT}/padron-importacion.png`, fullPage: true });

  // Find the new farmer by name, without accents, and open it.
  await goTo(page, "Padrón", "Consultar padrón");
  await page.getByRole("heading", { level: 1, name: "Padrón de productores" }).waitFor();
  await page.getByLabel("Nombre").fill("jose neco nunez");
  await page.getByRole("button", { name: "Buscar" }).click();
  await page.getByRole("link", { name: curp }).click();
  await page.getByRole("heading", { level: 1, name: "José Ñeco Núñez Peña" }).waitFor();
  await page.getByText("JC — Jalisco").first().waitFor();
  const timeline = page.locator(".timeline-item");
  await timeline.first().waitFor();
  const entries = await timeline.allTextContents();
  assert.ok(entries.some((e) => e.includes("Municipio") && e.includes("Tlaquepaque")), entries.join("\n"));
  // Each change says, in words, where it came from (a link to the imports) and who made it.
  assert.ok(entries.every((e) => /Importación \d+/.test(e) && e.includes("Por Daniela Flores Ortega")), entries.join("\n"));
  assert.ok(entries.every((e) => !/import:|user:/.test(e)), entries.join("\n"));
  await timeline.first().getByRole("link", { name: /^Importación \d+$/ }).waitFor();
  await page.screenshot({ path: `${OUTPUT}/padron-productor.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("the area does not see the registry pages", async () => {
  const page = await context.newPage();
  await logIn(page, "area@demo.confrontas.mx", DEMO_PASSWORD);
  await page.getByRole("button", { name: "Herramientas", exact: true }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Padrón", exact: true }).count(), 0);
  await page.goto(`${BASE_URL}/padron`);
  await page.waitForURL(`${BASE_URL}/`);
  await page.close();
});

test("an import with more refused rows than are kept says how many it kept", async () => {
  // The test server keeps 5 refused rows per import (scripts/test).
  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, "subdireccion@demo.confrontas.mx", DEMO_PASSWORD);
  await goTo(page, "Padrón", "Importar padrón");
  const bad = Array.from({ length: 8 }, (_, n) => `NOESCURP${n};Ana;Ruiz`);
  const csv = ["CURP;Nombre(s);Primer apellido", ...bad].join("\r\n");
  await page.getByLabel("Archivo del padrón (.xlsx o .csv)").setInputFiles({
    name: "malas.csv", mimeType: "text/csv", buffer: Buffer.from(csv, "utf8"),
  });
  await page.getByRole("button", { name: "Importar" }).click();
  const row = page.getByRole("row").filter({ hasText: "malas.csv" }).first();
  await row.getByText("Terminada").waitFor({ timeout: 30000 });
  await row.getByRole("button", { name: /Ver filas rechazadas/ }).click();
  const note = page.getByTestId("rejections-kept");
  await note.waitFor();
  assert.equal((await note.innerText()).trim(),
    "Se guardaron las primeras 5 de 8 filas rechazadas; corrija estas y vuelva a importar el archivo para ver las siguientes.");
  const listed = page.getByRole("table", { name: "Filas rechazadas" }).locator("tbody tr");
  assert.equal(await listed.count(), 5);
  await page.screenshot({ path: `${OUTPUT}/padron-rechazos-limitados.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
