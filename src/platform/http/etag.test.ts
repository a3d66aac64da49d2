import { describe, expect, it } from 'vitest';
import { assertIfMatch, entityTag, matchesIfNoneMatch, parseEntityTags } from './etag.js';

describe('entity tags', () => {
  const tag = entityTag('0190b6b4-0000-7000-8000-000000000000', 3);

  it('when tags are listed, then each is parsed with its weakness; * stands alone', () => {
    expect(parseEntityTags('"a", W/"b" ,"c"')).toEqual([
      { weak: false, opaque: '"a"' },
      { weak: true, opaque: '"b"' },
      { weak: false, opaque: '"c"' },
    ]);
    expect(parseEntityTags(' * ')).toBe('*');
  });

  it('when If-None-Match lists the current tag (weak or strong) or *, then it matches', () => {
    expect(matchesIfNoneMatch(tag, tag)).toBe(true);
    expect(matchesIfNoneMatch(`"x", W/${tag}`, tag)).toBe(true);
    expect(matchesIfNoneMatch('*', tag)).toBe(true);
    expect(matchesIfNoneMatch('"x"', tag)).toBe(false);
    expect(matchesIfNoneMatch(undefined, tag)).toBe(false);
  });

  it('when If-Match is absent, current, or *, then the write may go on; stale or weak gets 412', () => {
    expect(() => assertIfMatch(undefined, tag)).not.toThrow();
    expect(() => assertIfMatch(tag, tag)).not.toThrow();
    expect(() => assertIfMatch('*', tag)).not.toThrow();
    expect(() => assertIfMatch(entityTag('0190b6b4-0000-7000-8000-000000000000', 2), tag)).toThrow(
      expect.objectContaining({ status: 412 }),
    );
    expect(() => assertIfMatch(`W/${tag}`, tag)).toThrow(expect.objectContaining({ code: 'PRECONDITION_FAILED' }));
    expect(() => assertIfMatch('*', undefined)).toThrow(expect.objectContaining({ status: 412 }));
  });
});
