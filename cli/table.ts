// Tables for people: aligned columns with a header and no index column, numbers unquoted,
// right-aligned and rounded, empty cells for missing values. Scripts use --json instead.
//
//   model       users  ndcg_10  recall_20
//   ----------  -----  -------  ---------
//   candidate     812   0.1234     0.2345
//   popularity    812   0.0812     0.1590

export type Cell = string | number | bigint | boolean | Date | null | undefined;
export type Row = Record<string, Cell | unknown>;

export interface TableOptions {
  /** Columns in order (default: the keys of the rows, first seen first). */
  columns?: string[];
  /** Decimals of non-integer numbers. Default 4. */
  digits?: number;
}

const NUMERIC = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

/** One cell as text; numbers (and numeric text, as DuckDB's JSON rows give BIGINT/DECIMAL) are rounded. */
export function formatCell(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  }
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'string') return NUMERIC.test(v) && v.includes('.') ? formatCell(Number(v), digits) : v;
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

const isNumeric = (v: unknown) => typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'string' && NUMERIC.test(v));

/** The rows as an aligned text table (header, rule, rows); "(no rows)" when there are none. */
export function formatTable(rows: readonly Row[], opts: TableOptions = {}): string {
  const digits = opts.digits ?? 4;
  const columns = opts.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (rows.length === 0 || columns.length === 0) return '(no rows)';
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c], digits)));
  // A column is right-aligned when every non-empty value in it is a number.
  const right = columns.map((c) => rows.every((r) => r[c] === null || r[c] === undefined || isNumeric(r[c])));
  const width = columns.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const line = (values: string[]) =>
    values
      .map((v, j) => (right[j] ? v.padStart(width[j]) : v.padEnd(width[j])))
      .join('  ')
      .trimEnd();
  return [line(columns), line(width.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** `label: value` lines, labels aligned, for one record (a summary above a table). */
export function formatFields(fields: Record<string, unknown>, digits = 4): string {
  const entries = Object.entries(fields);
  const w = Math.max(0, ...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${`${k}:`.padEnd(w + 1)} ${formatCell(v, digits) || '—'}`).join('\n');
}

const EXACT_NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|DECIMAL\b.*)$/;

/**
 * Query rows with their numeric columns as numbers: DuckDB's JSON rows carry BIGINT and DECIMAL as
 * text, which scripts would read as strings. (Integers beyond 2^53 lose precision, as in any JSON.)
 */
export function numericRows(result: { columns: string[]; types: string[]; rows: Record<string, unknown>[] }): Record<string, unknown>[] {
  const numeric = result.columns.filter((_, i) => EXACT_NUMERIC.test(result.types[i]));
  if (numeric.length === 0) return result.rows;
  return result.rows.map((r) => {
    const out = { ...r };
    for (const c of numeric) if (typeof out[c] === 'string') out[c] = Number(out[c]);
    return out;
  });
}

/** Print `data` as indented JSON (for scripts) or as the text that `human` renders from it. */
export function printOutput<T>(data: T, json: boolean, human: (data: T) => string): void {
  console.log(json ? JSON.stringify(data, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2) : human(data));
}
