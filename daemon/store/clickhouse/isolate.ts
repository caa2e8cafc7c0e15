/**
 * Inserts that one bad row cannot block: when ClickHouse refuses a batch for its data, the batch is halved until the
 * refused rows stand alone; the others are stored and each refused row goes to quarantine. Every part has a
 * deduplication token derived from its batch's, so a retry after a crash, which halves the same way, stores each row
 * once. An error that is not about the data (ClickHouse down) is thrown as it is: the batch is retried whole later.
 */

/** ClickHouse error codes that refuse the data of an insert rather than the insert itself. */
const DATA_ERRORS = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  376, // CANNOT_PARSE_UUID
  441, // CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING
  469, // VIOLATED_CONSTRAINT
  676, // CANNOT_PARSE_IPV4
  677, // CANNOT_PARSE_IPV6
]);

/** Whether ClickHouse (a server, whose client gives `code`; chDB, `clickhouseCode` and "Code: N.") refused the data. */
export function dataRefused(err: unknown): boolean {
  const e = err as { code?: unknown; clickhouseCode?: unknown; message?: unknown };
  const given = e.clickhouseCode ?? e.code;
  const code = /^\d+$/.test(String(given)) ? Number(given) : Number(/\bCode: (\d+)\./.exec(String(e.message))?.[1]);
  return DATA_ERRORS.has(code);
}

export async function insertIsolated(
  insert: (rows: readonly string[], token: string) => Promise<void>,
  rows: readonly string[],
  token: string,
  quarantine: (row: string, token: string, err: Error) => Promise<void>,
): Promise<void> {
  try {
    await insert(rows, token);
  } catch (err) {
    if (!dataRefused(err)) throw err;
    if (rows.length === 1) return quarantine(rows[0]!, token, err as Error);
    const half = rows.length >> 1;
    await insertIsolated(insert, rows.slice(0, half), `${token}.0`, quarantine);
    await insertIsolated(insert, rows.slice(half), `${token}.1`, quarantine);
  }
}
