// An area checks a CURP layout before sending it: template download, upload, row-level report
// with the rows Excel shows, and the report as a workbook.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { DEMO_PASSWORD, OUTPUT, goTo, launch, logIn, watchErrors } from "./browser.mjs";
import { corrupt, makeCurp } from "./curp.mjs";

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

test("an area validates a layout and sees each problem on its row", async () => {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await logIn(page, "area@demo.confrontas.mx", DEMO_PASSWORD);
  await goTo(page, "Herramientas", "Validar layout");
  await page.getByRole("heading", { level: 1, name: "Validar layout de CURP" }).waitFor();

  const template = page.waitForEvent("download");
  await page.getByRole("button", { name: "Descargar plantilla (.xlsx)" }).click();
  assert.equal((await template).suggestedFilename(), "layout_curp.xlsx");

  const unknown = makeCurp(Date.now() % 67000);
  const csv = [
    "Solicitud de confronta, oficio 123",
    "CURP,RFC,NOMBRE(S)",
    `${unknown},,Ana`,
    `${corrupt(unknown)},,Beto`,
    "",
    `${unknown.toLowerCase()},,Ana otra vez`,
    ",,Sin curp",
  ].join("\n");
  await page.getByLabel("Archivo del layout (.xlsx o .csv)").setInputFiles({
    name: "layout-abril.csv", mimeType: "text/csv", buffer: Buffer.from(csv, "utf8"),
  });
  await page.getByRole("button", { name: "Validar" }).click();
  await page.getByText("El layout tiene 4 filas con errores de 4 filas; corríjalas antes de enviarlo.").waitFor();
  await page.getByText("Encabezados en la fila 2; columnas reconocidas: CURP, RFC, NOMBRE(S).").waitFor();

  const rows = page.getByRole("table", { name: "Observaciones por fila" }).getByRole("row");
  const table = (await rows.allTextContents()).slice(1);
  assert.equal(table.length, 4);
  assert.match(table[0], /^3.*No está en el padrón/);
  assert.match(table[1], /^4.*CURP no válida.*dígito verificador/);
  assert.match(table[2], /^6.*CURP repetida.*fila 3/);
  assert.match(table[3], /^7.*Sin CURP/);

  await page.getByLabel("Mostrar").selectOption({ label: "CURP repetida" });
  assert.equal(await rows.count(), 2);
  await page.screenshot({ path: `${OUTPUT}/layout-reporte.png`, fullPage: true });

  const report = page.waitForEvent("download");
  await page.getByRole("button", { name: "Descargar reporte (.xlsx)" }).click();
  assert.equal((await report).suggestedFilename(), "reporte_layout-abril.xlsx");

  // A file that is not a spreadsheet gets the server's explanation.
  await page.getByLabel("Archivo del layout (.xlsx o .csv)").setInputFiles({
    name: "oficio.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4"),
  });
  await page.getByRole("button", { name: "Validar" }).click();
  await page.getByText(/El archivo debe ser un libro de Excel \(\.xlsx\) o un archivo de texto separado por comas/).waitFor();
  assert.deepEqual(errors.filter((e) => !e.includes("415")), []);
  await page.close();
});
