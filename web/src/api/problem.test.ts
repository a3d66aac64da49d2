import { describe, expect, it } from 'vitest';
import { ApiProblem, asProblem } from './problem';

describe('ApiProblem', () => {
  it('when the server names fields, then each field finds its message by JSON pointer', () => {
    const p = new ApiProblem({
      status: 400,
      code: 'VALIDATION_FAILED',
      title: 'Invalid request',
      detail: '2 fields',
      instance: 'req-1',
      errors: [
        { path: '/shippingAddress/city', message: 'is required' },
        { path: '/email', message: 'must be an email' },
      ],
    });
    expect(p.fieldError('/shippingAddress/city')).toBe('is required');
    expect(p.fieldError('/email')).toBe('must be an email');
    expect(p.fieldError('/name')).toBeUndefined();
  });

  it('when the response has Retry-After and a request id, then both are kept for the alert', () => {
    const response = new Response('{}', { status: 429, headers: { 'retry-after': '30', 'x-request-id': 'req-42' } });
    const p = new ApiProblem({ title: 'Too many requests', code: 'RATE_LIMITED' }, response);
    expect(p.status).toBe(429);
    expect(p.retryAfter).toBe('30');
    expect(p.requestId).toBe('req-42');
  });

  it('when a fetch fails before any answer, then it becomes a NETWORK problem without a request id', () => {
    const p = asProblem(new TypeError('Failed to fetch'));
    expect(p.code).toBe('NETWORK');
    expect(p.detail).toBe('Failed to fetch');
    expect(p.requestId).toBeUndefined();
  });
});
