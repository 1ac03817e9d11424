/**
 * CSV cells that a spreadsheet would evaluate (CSV / formula injection).
 *
 * Rule (OWASP "CSV Injection"): a cell whose first character is = + - @, a tab
 * or a carriage return may be read as a formula by Excel or LibreOffice Calc,
 * which can then fetch a URL carrying the neighbouring cells (the numbers)
 * or run a command. Such a cell is written with a leading single quote, which
 * both programs treat as "this is text", and the whole cell is quoted.
 *
 * The import accepts what the export writes: a leading quote followed by one
 * of those characters is taken off again, so an export reads back unchanged.
 * A quote before anything else is the person's own text and stays.
 */
const TRIGGER = /^[=+\-@\t\r]/u;
const GUARDED = /^'[=+\-@\t\r]/u;

/** The cell as it is written to a CSV file: text that no spreadsheet evaluates. */
export function guardSpreadsheetCell(value: string): string {
  return TRIGGER.test(value) ? `'${value}` : value;
}

/** Undoes guardSpreadsheetCell on a cell read from a CSV file. */
export function unguardSpreadsheetCell(value: string): string {
  return GUARDED.test(value) ? value.slice(1) : value;
}
