import { describe, expect, it } from 'vitest';
import { GAP, LIMIT, positionAfter, positionBefore, positionBetween } from './positions.js';

describe('gapped positions', () => {
  it('when a list is empty, then the first item gets GAP', () => {
    expect(positionBetween(null, null)).toBe(GAP);
    expect(positionAfter(null)).toBe(GAP);
    expect(positionBefore(null)).toBe(GAP);
  });

  it('when appending or prepending, then the item sits one GAP beyond the end', () => {
    expect(positionBetween(5 * GAP, null)).toBe(6 * GAP);
    expect(positionBetween(null, GAP)).toBe(0);
    expect(positionBetween(null, 0)).toBe(-GAP);
  });

  it('when inserting between two items, then the midpoint is used until no integer is left', () => {
    expect(positionBetween(0, GAP)).toBe(GAP / 2);
    expect(positionBetween(10, 12)).toBe(11);
    expect(positionBetween(10, 11)).toBeNull();
    expect(positionBetween(10, 10)).toBeNull();
  });

  it('when the same gap is split over and over, then it lasts 20 moves before a renumbering', () => {
    let hi = GAP;
    let moves = 0;
    for (let p = positionBetween(0, hi); p !== null; p = positionBetween(0, hi)) {
      hi = p;
      moves++;
    }
    expect(moves).toBe(20);
  });

  it('when positions would leave the exact range of JS numbers, then a renumbering is asked for', () => {
    expect(positionBetween(LIMIT, null)).toBeNull();
    expect(positionBetween(null, -LIMIT)).toBeNull();
    expect(Number.isSafeInteger(LIMIT + GAP)).toBe(true);
  });
});
