// Valid CURPs made on the spot (RENAPO's check digit, docs/renapo-protocol.md, "CURP"), so browser tests can
// import farmers the demo registry does not have.
const ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";

export function checkDigit(first17) {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += ALPHABET.indexOf(first17[i]) * (18 - i);
  return String((10 - (sum % 10)) % 10);
}

/** A valid CURP for a man born in Jalisco in 1980–1999; `seed` (0–67,199) varies the date and
 * the homonym digit. The letters are fixed and are no "palabra inconveniente". */
export function makeCurp(seed) {
  const day = String(1 + (seed % 28)).padStart(2, "0");
  const month = String(1 + (Math.floor(seed / 28) % 12)).padStart(2, "0");
  const year = String(80 + (Math.floor(seed / 336) % 20));
  const homonym = Math.floor(seed / 6720) % 10;
  const first17 = `GOMA${year}${month}${day}HJCMRN${homonym}`;
  return first17 + checkDigit(first17);
}

/** The same CURP with a wrong check digit. */
export function corrupt(curp) {
  const last = curp[17] === "0" ? "1" : "0";
  return curp.slice(0, 17) + last;
}
