import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

const ALLOWED = 'https://app.example.com';

describe('security headers and CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: `${ALLOWED},http://localhost:5173` } });
  });
  afterAll(() => t.close());

  it('when an allowed origin calls, then Access-Control-Allow-Origin names it and the headers clients read are exposed', async () => {
    const res = await t.request({ method: 'GET', url: '/openapi.json', headers: { origin: ALLOWED } });
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    const exposed = String(res.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
    // Every header a browser client needs to read, under the name the server really sends.
    for (const name of ['x-request-id', 'retry-after', 'etag', 'location']) expect(exposed).toContain(name);
    for (const name of Object.keys(res.headers).filter((h) => h.startsWith('x-ratelimit-'))) expect(exposed).toContain(name);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('x-ratelimit-')).length).toBeGreaterThan(0);
    expect(res.headers.vary).toMatch(/Origin/i);
  });

  it('when another origin calls, then no Access-Control-Allow-Origin is sent', async () => {
    const res = await t.request({ method: 'GET', url: '/health/live', headers: { origin: 'https://evil.example.net' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('when an allowed origin sends a preflight, then it is answered with the methods and headers', async () => {
    const res = await t.request({
      method: 'OPTIONS',
      url: '/api/v1/auth/login',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toMatch(/authorization/);
    expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toMatch(/content-type/);
  });

  it('when a browser tus client preflights a PATCH from an allowed origin, then the tus headers are allowed and exposed', async () => {
    const res = await t.request({
      method: 'OPTIONS',
      url: '/api/v1/files/tus/some-upload',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'tus-resumable,upload-offset,content-type',
      },
    });
    expect(res.statusCode).toBe(204);
    const allowed = String(res.headers['access-control-allow-headers']).toLowerCase();
    for (const h of ['tus-resumable', 'upload-offset', 'upload-length', 'upload-metadata']) expect(allowed).toContain(h);
    const get = await t.request({ method: 'GET', url: '/health/live', headers: { origin: ALLOWED } });
    const exposed = String(get.headers['access-control-expose-headers']).toLowerCase();
    for (const h of ['upload-offset', 'location', 'content-range', 'content-disposition']) expect(exposed).toContain(h);
  });

  it("when a module hands in its own headers, then CORS allows and exposes those, and no other module's", async () => {
    const withHeaders = await createTestApp({
      env: { CORS_ORIGINS: ALLOWED },
      modules: [() => ({ name: 'probe', routes: async () => {}, corsHeaders: { allowed: ['X-Probe-In'], exposed: ['X-Probe-Out'] } })],
    });
    try {
      const res = await withHeaders.request({
        method: 'OPTIONS',
        url: '/api/v1/anything',
        headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-probe-in' },
      });
      const allowed = String(res.headers['access-control-allow-headers']).toLowerCase();
      expect(allowed).toContain('x-probe-in');
      // The files module is not in this app, so its tus headers are not either.
      expect(allowed).not.toContain('tus-resumable');
      const get = await withHeaders.request({ method: 'GET', url: '/health/live', headers: { origin: ALLOWED } });
      expect(String(get.headers['access-control-expose-headers']).toLowerCase()).toContain('x-probe-out');
    } finally {
      await withHeaders.close();
    }
  });

  it('when another origin sends a preflight, then it gets no CORS grant', async () => {
    const res = await t.request({
      method: 'OPTIONS',
      url: '/api/v1/auth/login',
      headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
    });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it.each(['/health/live', '/api/v1/nothing', '/docs/', '/openapi.json'])(
    'when %s is fetched, then security headers are set, the CSP has no upgrade-insecure-requests and there is no HSTS',
    async (url) => {
      const res = await t.request({ method: 'GET', url });
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      expect(csp).not.toMatch(/upgrade-insecure-requests/);
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBeDefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    },
  );
});
