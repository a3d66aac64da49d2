/** The rows of a raw `db.execute(sql...)`: both drivers answer `{ rows }`, columns named as the database names them. */
export const rowsOf = <T = Record<string, unknown>>(result: unknown): T[] => (result as { rows: T[] }).rows;
