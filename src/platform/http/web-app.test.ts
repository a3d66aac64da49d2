import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/app/assets/index-abc123.js"></script></head></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;

/** A minimal dist/web: index.html and one hashed asset with its precompressed siblings. */
async function fakeBuild(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'zaplecze-web-'));
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), INDEX);
  await writeFile(join(root, 'assets/index-abc123.js'), SCRIPT);
  await writeFile(join(root, 'assets/index-abc123.js.br'), brotliCompressSync(SCRIPT));
  await writeFile(join(root, 'assets/index-abc123.js.gz'), gzipSync(SCRIPT));
  return root;
}

describe('web client serving', () => {
  let t: TestApp;
  let root: string;

  beforeAll(async () => {
    root = await fakeBuild();
    t = await createTestApp({ webRoot: root, env: { RATE_LIMIT_MAX: '3', PUBLIC_URL: 'https://shop.example.com' } });
  });
  afterAll(async () => {
    await t?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('when the client is built, then / redirects to /app/', async () => {
    const res = await t.request({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/app/');
  });

  it('when a hashed asset is fetched with br accepted, then it is sent precompressed and immutable for a year', async () => {
    const res = await t.request({ method: 'GET', url: '/app/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.rawPayload.equals(brotliCompressSync(SCRIPT))).toBe(true);
  });

  it('when only gzip is accepted, then the gzip file is sent', async () => {
    const res = await t.request({ method: 'GET', url: '/app/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
  });

  it('when an asset is missing, then the answer is a 404 problem, never the HTML page', async () => {
    const res = await t.request({ method: 'GET', url: '/app/assets/index-gone.js' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('when a path tries to climb out of the assets folder, then nothing outside is served', async () => {
    const res = await t.request({ method: 'GET', url: '/app/assets/..%2findex.html' });
    expect([403, 404]).toContain(res.statusCode);
    expect(res.body).not.toContain('<!doctype html>');
  });

  it.each(['/app', '/app/', '/app/orders/0193', '/app/admin/orders?status=paid'])(
    'when %s is opened, then index.html is sent with no-cache',
    async (url) => {
      const res = await t.request({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toBe(INDEX);
    },
  );

  it('when more assets are fetched than the rate limit allows, then none is refused', async () => {
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await t.request({ method: 'GET', url: '/app/assets/index-abc123.js' })).statusCode);
    expect(codes).toEqual([200, 200, 200, 200, 200, 200]);
    // The API itself is still limited, so the exemption is the asset routes', not a broken limiter.
    const api = [];
    for (let i = 0; i < 6; i++) api.push((await t.request({ method: 'GET', url: '/api/v1/products' })).statusCode);
    expect(api).toContain(429);
  });

  it('when PUBLIC_URL is https, then the CSP lets the page open WebSockets to its wss origin and keeps scripts to self', async () => {
    const res = await t.request({ method: 'GET', url: '/app/' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toMatch(/connect-src 'self' wss:\/\/shop\.example\.com/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
  });
});

describe('without a web build', () => {
  it('when dist/web is absent, then / redirects to /docs and /app/ is a 404 problem', async () => {
    const t = await createTestApp();
    try {
      expect((await t.request({ method: 'GET', url: '/' })).headers.location).toBe('/docs');
      const res = await t.request({ method: 'GET', url: '/app/' });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    } finally {
      await t.close();
    }
  });
});
