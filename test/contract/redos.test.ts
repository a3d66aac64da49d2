/**
 * No request can make a regular expression take more than linear time: every `pattern` of the
 * published contract (OpenAPI and AsyncAPI) goes through the recheck ReDoS checker, and a pattern
 * is not even run on a string that is over its length bound.
 */
import { checkSync } from 'recheck';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatePatternsByLength } from '../../src/platform/http/length-gated-patterns.js';
import { createTestApp, type TestApp } from '../test-app.js';

/** Every `pattern` (and `patternProperties` key) anywhere in a JSON document. */
function patternsIn(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) patternsIn(item, found);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'pattern' && typeof value === 'string') found.add(value);
      else if (key === 'patternProperties' && value && typeof value === 'object') for (const p of Object.keys(value)) found.add(p);
      patternsIn(value, found);
    }
  }
  return found;
}

describe('regular expressions in the contract', () => {
  let t: TestApp;
  let patterns: string[];

  beforeAll(async () => {
    t = await createTestApp();
    const openapi = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    const asyncapi = (await t.request({ method: 'GET', url: '/asyncapi.json' })).json();
    patterns = [...patternsIn(asyncapi, patternsIn(openapi))];
  });
  afterAll(() => t?.close());

  it('when the documents are walked, then they carry patterns to check (the walk is not vacuous)', () => {
    expect(patterns.length).toBeGreaterThan(5);
  });

  it('when each pattern is checked for ReDoS, then every one is safe (linear or better)', () => {
    const unsafe = patterns
      .map((pattern) => ({ pattern, result: checkSync(pattern, 'u', { timeout: 10_000 }) }))
      .filter(({ result }) => result.status !== 'safe')
      .map(({ pattern, result }) => `${pattern}: ${result.status}${result.status === 'vulnerable' ? ` (${result.complexity.type})` : ''}`);
    expect(unsafe).toEqual([]);
  });

  it('when the old quadratic name pattern is checked, then the checker flags it (it can fail)', () => {
    expect(checkSync('^\\P{Cc}*[^\\s\\p{Cc}]\\P{Cc}*$', 'u').status).toBe('vulnerable');
  });

  it('when a name is over its length bound, then only the length is reported: the pattern did not run', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'long@test.local', password: 'a-perfectly-fine-passphrase', name: `${' '.repeat(60_000)}\u0007` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/name', message: 'must NOT have more than 100 characters' }]);
  });

  it('when a name within its bound breaks the pattern, then the pattern error is reported once', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'blank@test.local', password: 'a-perfectly-fine-passphrase', name: '   ' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/name', message: expect.stringContaining('must match pattern') }]);
  });

  it('when a schema is gated, then pattern moves under its length bound and the rest is kept', () => {
    const gated = gatePatternsByLength({
      type: 'object',
      properties: { pattern: { type: 'string', maxLength: 5, pattern: '^a' }, other: { type: 'string', pattern: '^b' } },
    });
    expect(gated).toEqual({
      type: 'object',
      properties: {
        // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword.
        pattern: { type: 'string', maxLength: 5, allOf: [{ if: { maxLength: 5 }, then: { pattern: '^a' } }] },
        other: { type: 'string', pattern: '^b' },
      },
    });
  });
});
