import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomId } from './ids';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomId', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('when the page is not a secure context (plain HTTP on a LAN), then it still makes a v4 UUID without randomUUID', () => {
    vi.stubGlobal('isSecureContext', false);
    const spy = vi.spyOn(crypto, 'randomUUID');
    const ids = new Set(Array.from({ length: 50 }, randomId));
    expect(spy).not.toHaveBeenCalled();
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(V4);
    spy.mockRestore();
  });

  it('when the context is secure, then it uses crypto.randomUUID', () => {
    vi.stubGlobal('isSecureContext', true);
    expect(randomId()).toMatch(V4);
  });
});
