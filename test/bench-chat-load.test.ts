/** The chat bench's load generator adds up what its processes measured (bench/lib/chat-load-group.ts). */
import { describe, expect, it } from 'vitest';
import { mergeBins, percentileOfBins, shareOut } from '../bench/lib/chat-load-group.js';

describe('chat load generator', () => {
  it('when the slow deliveries were seen by another process, then the merged p99 still shows them', () => {
    // 0.1 ms bins: 98 samples at 1 ms in one process, 2 at 200 ms in another.
    const merged = mergeBins([[[10, 98]], [[2000, 2]]]);
    expect(percentileOfBins(merged, 0.5)).toBe(1);
    expect(percentileOfBins(merged, 0.99)).toBe(200);
    expect(percentileOfBins(merged, 1)).toBe(200);
  });

  it('when processes saw the same latency, then their counts add up in one bin', () => {
    expect(
      mergeBins([
        [
          [10, 3],
          [25, 1],
        ],
        [[10, 2]],
      ]),
    ).toEqual([
      [10, 5],
      [25, 1],
    ]);
  });

  it('when no message was measured, then there is no percentile', () => {
    expect(percentileOfBins(mergeBins([[], []]), 0.99)).toBeNull();
  });

  it('when receivers are dealt to processes, then each gets a share, none is empty and none is lost', () => {
    const shares = shareOut([1, 2, 3, 4, 5], 2);
    expect(shares).toEqual([
      [1, 3, 5],
      [2, 4],
    ]);
    expect(shareOut([1, 2], 4)).toEqual([[1], [2]]);
    expect(shareOut([], 4)).toEqual([]);
  });
});
