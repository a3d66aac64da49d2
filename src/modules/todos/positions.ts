/**
 * Gapped integer positions: items of a list sit GAP apart, so moving one between two others
 * takes the midpoint and touches one row. Each move halves a gap; after ~20 moves into the
 * same spot the gap is gone and that one list is renumbered (GAP, 2*GAP, ...) in the same
 * transaction, which is rare and bounded by the list's size.
 */

/** Distance between neighbours after an append or a renumbering (2^20). */
export const GAP = 1_048_576;

/**
 * Positions stay within +-LIMIT so JS numbers and bigint agree exactly; beyond it the list is
 * renumbered. 2^50 / 2^20 leaves room for a billion appends or prepends.
 */
export const LIMIT = 2 ** 50;

/** Position after the last item (or the first one of an empty list). */
export const positionAfter = (last: number | null): number => (last === null ? GAP : last + GAP);

/** Position before the first item. */
export const positionBefore = (first: number | null): number => (first === null ? GAP : first - GAP);

/**
 * A position strictly between `lo` and `hi` (either may be absent: an end of the list), or
 * null when there is no integer room left and the list must be renumbered first.
 */
export function positionBetween(lo: number | null, hi: number | null): number | null {
  let result: number;
  if (lo === null && hi === null) result = GAP;
  else if (lo === null) result = positionBefore(hi);
  else if (hi === null) result = positionAfter(lo);
  else {
    if (hi - lo < 2) return null;
    result = lo + Math.floor((hi - lo) / 2);
  }
  return Math.abs(result) > LIMIT ? null : result;
}
