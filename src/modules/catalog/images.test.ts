import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipart, png } from '../../../test/files-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';

let seq = 0;
const product = (imageIds: string[]) => ({
  sku: `IMG-${++seq}`,
  kind: 'product',
  name: 'Enamel mug',
  description: 'Holds coffee.',
  priceCents: 2500,
  currency: 'PLN',
  stock: 3,
  imageIds,
  attributes: { brand: 'Kubek' },
});

describe('product images (catalog + files)', () => {
  let t: TestApp;
  let admin: TestUser;

  async function uploadImage(owner: TestUser, visibility: 'public' | 'private') {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/files',
      token: owner.token,
      ...multipart([{ filename: 'mug.png', content: png(200), type: 'image/png' }]),
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().items[0].id as string;
    if (visibility === 'public') {
      const patch = await t.request({ method: 'PATCH', url: `/api/v1/files/${id}`, token: owner.token, payload: { visibility: 'public' } });
      expect(patch.statusCode, patch.body).toBe(200);
    }
    return id;
  }

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
  });
  afterAll(() => t.close());

  it('when an admin attaches a public image, then product responses carry its URL and the URL serves the image anonymously', async () => {
    const imageId = await uploadImage(admin, 'public');
    const created = await t.request({ method: 'POST', url: '/api/v1/products', token: admin.token, payload: product([imageId]) });
    expect(created.statusCode, created.body).toBe(201);
    const body = created.json();
    expect(body.imageIds).toEqual([imageId]);
    expect(body.imageUrls).toEqual([expect.stringMatching(new RegExp(`/api/v1/files/${imageId}/content`))]);

    const read = await t.request({ method: 'GET', url: `/api/v1/products/${body.id}` });
    expect(read.json().imageUrls).toEqual(body.imageUrls);

    const image = await t.request({ method: 'GET', url: new URL(body.imageUrls[0]).pathname + new URL(body.imageUrls[0]).search });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toMatch(/^image\/png/);
  });

  it('when an image is private or unknown, then 400 names each bad imageIds entry and no product is created', async () => {
    const privateId = await uploadImage(admin, 'private');
    const unknownId = '01a21888-0000-7000-8000-000000000000';
    const attempt = product([privateId, unknownId]);
    const res = await t.request({ method: 'POST', url: '/api/v1/products', token: admin.token, payload: attempt });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { path: '/imageIds/0', message: 'is not a public image file' },
      { path: '/imageIds/1', message: 'is not a public image file' },
    ]);
    const bySku = await t.request({ method: 'GET', url: `/api/v1/products/by-sku/${attempt.sku}` });
    expect(bySku.statusCode).toBe(404);
  });

  it('when a patch or an import names a private image, then it is refused with the path of the entry', async () => {
    const publicId = await uploadImage(admin, 'public');
    const privateId = await uploadImage(admin, 'private');
    const created = (await t.request({ method: 'POST', url: '/api/v1/products', token: admin.token, payload: product([publicId]) })).json();

    const patch = await t.request({
      method: 'PATCH',
      url: `/api/v1/products/${created.id}`,
      token: admin.token,
      payload: { imageIds: [publicId, privateId] },
    });
    expect(patch.statusCode).toBe(400);
    expect(patch.json().errors).toEqual([{ path: '/imageIds/1', message: 'is not a public image file' }]);
    expect((await t.request({ method: 'GET', url: `/api/v1/products/${created.id}` })).json().imageIds).toEqual([publicId]);

    const imported = await t.request({
      method: 'POST',
      url: '/api/v1/products/import',
      token: admin.token,
      payload: [product([]), product([privateId])],
    });
    expect(imported.statusCode).toBe(400);
    expect(imported.json().errors).toEqual([{ path: '/1/imageIds/0', message: 'is not a public image file' }]);
  });
});
