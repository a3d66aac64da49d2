import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeS3, startFakeS3 } from '../../../test/fake-s3.js';
import { multipart, type Part, png } from '../../../test/files-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { createFilesContract, createFilesServices } from './index.js';
import { createFilesRepo } from './repo.js';
import { storageKeyOf } from './service.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const KB = 1024;

interface Backend {
  name: string;
  start(): Promise<{ env: Record<string, string>; s3?: FakeS3 }>;
}

const backends: Backend[] = [
  { name: 'local disk', start: async () => ({ env: {} }) },
  {
    name: 's3 (s3rver)',
    async start() {
      const s3 = await startFakeS3();
      return { env: s3.env, s3 };
    },
  },
];

describe.each(backends)('files on $name', (backend) => {
  let t: TestApp;
  let s3: FakeS3 | undefined;
  let owner: TestUser;
  let other: TestUser;

  beforeAll(async () => {
    const started = await backend.start();
    s3 = started.s3;
    t = await createTestApp({ env: { ...started.env, MAX_UPLOAD_BYTES: '256kb', FILES_QUOTA_BYTES: '1mb' } });
    owner = await t.createUser();
    other = await t.createUser();
  });
  afterAll(async () => {
    await t.close();
    await s3?.close();
  });

  /** Every stored object or file of the storage, temporary ones included. */
  async function storedObjects(): Promise<string[]> {
    if (s3) return s3.listKeys();
    const root = join(t.platform.config.DATA_DIR, 'files');
    return (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  }
  let listening: Promise<string> | undefined;
  /** The app on a real port (for tests that need a raw connection), started once. */
  const address = () => {
    listening ??= t.http.listen({ port: 0, host: '127.0.0.1' });
    return listening;
  };
  const rowsOf = (user: TestUser) => createFilesRepo(t.platform.db).countRows(user.id);
  const usedBy = (user: TestUser) => createFilesRepo(t.platform.db).usedBytes(user.id);

  async function upload(user: TestUser, parts: Part[]) {
    return t.request({ method: 'POST', url: '/api/v1/files', token: user.token, ...multipart(parts) });
  }
  async function uploadOne(user: TestUser, content: Buffer, filename = 'picture.png') {
    const res = await upload(user, [{ filename, content, type: 'image/png' }]);
    expect(res.statusCode, res.body).toBe(201);
    return res.json().items[0] as { id: string; name: string; size: number; sha256: string; contentType: string; visibility: string };
  }
  const content = (id: string, options: { token?: string; headers?: Record<string, string>; query?: string } = {}) =>
    t.request({ method: 'GET', url: `/api/v1/files/${id}/content${options.query ?? ''}`, token: options.token, headers: options.headers });

  it('when a file is uploaded and downloaded, then the bytes are identical by sha256 and the metadata is described', async () => {
    const user = await t.createUser();
    const data = png(200 * KB);
    const res = await upload(user, [{ filename: 'holiday.png', content: data, type: 'text/plain' }]);
    expect(res.statusCode, res.body).toBe(201);
    const [file] = res.json().items;
    expect(res.headers.location).toBe(`/api/v1/files/${file.id}`);
    expect(file).toEqual({
      id: expect.any(String),
      name: 'holiday.png',
      size: data.length,
      contentType: 'image/png',
      sha256: sha256(data),
      visibility: 'private',
      createdAt: expect.any(String),
    });

    const down = await content(file.id, { token: user.token });
    expect(down.statusCode).toBe(200);
    expect(sha256(down.rawPayload)).toBe(sha256(data));
    expect(down.headers).toMatchObject({
      'content-type': 'image/png',
      'content-length': String(data.length),
      etag: `"${sha256(data)}"`,
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
      'content-disposition': 'attachment; filename="holiday.png"',
    });
    const meta = await t.request({ method: 'GET', url: `/api/v1/files/${file.id}`, token: user.token });
    expect(meta.json()).toEqual(file);
    expect(await usedBy(user)).toBe(data.length);
  });

  it('when several files are sent in one request, then all are stored and the list pages through them', async () => {
    const user = await t.createUser();
    const res = await upload(user, [
      { filename: 'a.png', content: png(1000) },
      { filename: 'b.txt', content: Buffer.from('plain words\n') },
      { filename: 'c.pdf', content: Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\n') },
    ]);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().items.map((f: { contentType: string }) => f.contentType)).toEqual(['image/png', 'text/plain', 'application/pdf']);

    const first = await t.request({ method: 'GET', url: '/api/v1/files?limit=2', token: user.token });
    expect(first.json().items.map((f: { name: string }) => f.name)).toEqual(['c.pdf', 'b.txt']);
    const second = await t.request({ method: 'GET', url: `/api/v1/files?limit=2&cursor=${first.json().nextCursor}`, token: user.token });
    expect(second.json()).toEqual({ items: [expect.objectContaining({ name: 'a.png' })], nextCursor: null });
    const others = await t.request({ method: 'GET', url: '/api/v1/files', token: other.token });
    expect(others.json().items.map((f: { name: string }) => f.name)).not.toContain('a.png');
  });

  describe('ranges and conditional requests', () => {
    let id: string;
    let data: Buffer;
    beforeAll(async () => {
      data = png(10_000);
      id = (await uploadOne(owner, data)).id;
    });

    it.each([
      ['first byte', 'bytes=0-0', 0, 0],
      ['last byte', 'bytes=9999-9999', 9999, 9999],
      ['suffix range', 'bytes=-100', 9900, 9999],
      ['open-ended range', 'bytes=9000-', 9000, 9999],
      ['range past the end, clamped', 'bytes=5000-20000', 5000, 9999],
      ['suffix longer than the file', 'bytes=-50000', 0, 9999],
    ])('when asking for the %s (%s), then 206 with exactly those bytes', async (_name, range, start, end) => {
      const res = await content(id, { token: owner.token, headers: { range } });
      expect(res.statusCode).toBe(206);
      expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/10000`);
      expect(res.headers['content-length']).toBe(String(end - start + 1));
      expect(res.rawPayload.equals(data.subarray(start, end + 1))).toBe(true);
    });

    it.each([
      ['starting at the size', 'bytes=10000-'],
      ['starting past the size', 'bytes=12000-13000'],
      ['empty suffix', 'bytes=-0'],
    ])('when the range is unsatisfiable (%s), then 416 with Content-Range */size', async (_name, range) => {
      const res = await content(id, { token: owner.token, headers: { range } });
      expect(res.statusCode).toBe(416);
      expect(res.headers['content-range']).toBe('bytes */10000');
      expect(res.json().code).toBe('RANGE_NOT_SATISFIABLE');
    });

    it.each([
      ['several ranges', 'bytes=0-1,5-6'],
      ['another unit', 'items=0-1'],
      ['garbage', 'bytes=abc'],
      ['reversed', 'bytes=50-10'],
    ])('when the Range header has %s, then the whole file is served with 200', async (_name, range) => {
      const res = await content(id, { token: owner.token, headers: { range } });
      expect(res.statusCode).toBe(200);
      expect(res.rawPayload.length).toBe(10_000);
    });

    it('when If-Range carries the current ETag, then the range applies; a stale one gets the whole file', async () => {
      const etag = `"${sha256(data)}"`;
      const fresh = await content(id, { token: owner.token, headers: { range: 'bytes=0-9', 'if-range': etag } });
      expect(fresh.statusCode).toBe(206);
      const stale = await content(id, { token: owner.token, headers: { range: 'bytes=0-9', 'if-range': '"something-else"' } });
      expect(stale.statusCode).toBe(200);
      expect(stale.rawPayload.length).toBe(10_000);
    });

    it('when If-None-Match has the ETag, then 304 without a body', async () => {
      const res = await content(id, { token: owner.token, headers: { 'if-none-match': `W/"x", "${sha256(data)}"` } });
      expect(res.statusCode).toBe(304);
      expect(res.rawPayload.length).toBe(0);
      expect(res.headers.etag).toBe(`"${sha256(data)}"`);
    });

    it('when the content is asked with HEAD, then the headers come without the bytes', async () => {
      const res = await t.request({ method: 'HEAD', url: `/api/v1/files/${id}/content`, token: owner.token });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-length']).toBe('10000');
      expect(res.rawPayload.length).toBe(0);
    });
  });

  it('when a file is over MAX_UPLOAD_BYTES, then 413 and nothing is left: no blob, no temporary file, no row, no quota', async () => {
    const user = await t.createUser();
    const before = await storedObjects();
    const res = await upload(user, [{ filename: 'big.png', content: png(256 * KB + 1) }]);
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'FILE_TOO_LARGE', limit: 256 * KB });
    expect(await storedObjects()).toEqual(before);
    expect(await rowsOf(user)).toEqual({ files: 0, uploads: 0 });
    expect(await usedBy(user)).toBe(0);
  });

  it('when a much larger file arrives over a real connection, then the client still reads the 413 and nothing is kept', async () => {
    const user = await t.createUser();
    const before = await storedObjects();
    const base = await address();
    const body = multipart([{ filename: 'huge.png', content: png(24 * 1024 * KB) }]);
    const answer = await new Promise<{ status: number; code: string }>((resolve, reject) => {
      const req = httpRequest(
        `${base}/api/v1/files`,
        { method: 'POST', headers: { authorization: `Bearer ${user.token}`, ...body.headers, 'content-length': body.payload.length } },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, code: JSON.parse(text).code }));
        },
      );
      req.on('error', reject);
      req.end(body.payload);
    });
    expect(answer).toEqual({ status: 413, code: 'FILE_TOO_LARGE' });
    expect(await storedObjects()).toEqual(before);
    expect(await rowsOf(user)).toEqual({ files: 0, uploads: 0 });
  });

  it('when the second file of a request is too large, then the first one is not kept either', async () => {
    const user = await t.createUser();
    const before = await storedObjects();
    const res = await upload(user, [
      { filename: 'ok.png', content: png(10 * KB) },
      { filename: 'big.png', content: png(300 * KB) },
    ]);
    expect(res.statusCode).toBe(413);
    expect(await storedObjects()).toEqual(before);
    expect(await rowsOf(user)).toEqual({ files: 0, uploads: 0 });
  });

  it('when exactly MAX_UPLOAD_BYTES are sent, then the file is accepted', async () => {
    const user = await t.createUser();
    expect((await upload(user, [{ filename: 'edge.png', content: png(256 * KB) }])).statusCode).toBe(201);
  });

  it('when an HTML page is disguised as a .png, then 415 and nothing is stored', async () => {
    const user = await t.createUser();
    const before = await storedObjects();
    const html = Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>');
    const res = await upload(user, [{ filename: 'cat.png', content: html, type: 'image/png' }]);
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ code: 'FILE_TYPE_NOT_ALLOWED', detectedType: 'text/html' });
    expect(await storedObjects()).toEqual(before);
    expect(await rowsOf(user)).toEqual({ files: 0, uploads: 0 });
  });

  it('when the upload is anonymous or not multipart, then it is refused before anything is stored', async () => {
    const anonymous = await t.request({ method: 'POST', url: '/api/v1/files', ...multipart([{ filename: 'a.png', content: png(100) }]) });
    expect(anonymous.statusCode).toBe(401);
    const json = await t.request({ method: 'POST', url: '/api/v1/files', token: owner.token, payload: { file: 'x' } });
    expect(json.statusCode).toBe(415);
    const empty = await t.request({ method: 'POST', url: '/api/v1/files', token: owner.token, ...multipart([]) });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().code).toBe('NO_FILES');
    const field = await t.request({
      method: 'POST',
      url: '/api/v1/files',
      token: owner.token,
      ...multipart([{ filename: 'a.png', content: png(100) }], { note: 'hi' }),
    });
    expect(field.statusCode).toBe(400);
    expect(field.json().code).toBe('UNEXPECTED_FIELD');
  });

  it.each([
    ['no boundary', 'multipart/form-data', Buffer.from([1, 2, 3])],
    ['a boundary but random bytes', 'multipart/form-data; boundary=x', Buffer.from([0, 159, 146, 150])],
  ])('when the multipart body has %s, then 400 MALFORMED_MULTIPART and nothing is stored', async (_what, type, payload) => {
    const before = await storedObjects();
    const res = await t.request({ method: 'POST', url: '/api/v1/files', token: owner.token, headers: { 'content-type': type }, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('MALFORMED_MULTIPART');
    expect(await storedObjects()).toEqual(before);
  });

  it('when the client disconnects mid-upload, then no blob, temporary file or row remains', async () => {
    const user = await t.createUser();
    const before = await storedObjects();
    const { port } = new URL(await address());
    const body = multipart([{ filename: 'cut.png', content: png(200 * KB) }]);
    const handled = new Promise((resolve) => t.http.server.once('request', (_req, res) => res.once('close', resolve)));
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /api/v1/files HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${user.token}\r\n` +
        `Content-Type: ${body.headers['content-type']}\r\nContent-Length: ${body.payload.length}\r\n\r\n`,
    );
    await new Promise((resolve) => socket.write(body.payload.subarray(0, 100 * KB), resolve));
    socket.destroy();
    await handled;
    // The server cleans up after noticing the cut: wait until it did (or fail after 10 s).
    for (let i = 0; i < 200 && JSON.stringify(await storedObjects()) !== JSON.stringify(before); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await storedObjects()).toEqual(before);
    expect(await rowsOf(user)).toEqual({ files: 0, uploads: 0 });
  });

  it('when someone else’s private file is asked for, then 404 everywhere; an admin may read it', async () => {
    const file = await uploadOne(owner, png(500));
    const url = `/api/v1/files/${file.id}`;
    for (const [method, path, payload] of [
      ['GET', url, undefined],
      ['GET', `${url}/content`, undefined],
      ['PATCH', url, { visibility: 'public' }],
      ['DELETE', url, undefined],
      ['POST', `${url}/links`, { expiresIn: 60 }],
    ] as const) {
      const res = await t.request({ method, url: path, token: other.token, payload });
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(res.json().code).toBe('FILE_NOT_FOUND');
    }
    expect((await content(file.id)).statusCode).toBe(404);
    const admin = await t.admin();
    expect((await content(file.id, { token: admin.token })).statusCode).toBe(200);
  });

  it('when a file is made public, then anyone may read it, inline for images, until it is made private again', async () => {
    const file = await uploadOne(owner, png(500));
    const patched = await t.request({
      method: 'PATCH',
      url: `/api/v1/files/${file.id}`,
      token: owner.token,
      payload: { visibility: 'public' },
    });
    expect(patched.json().visibility).toBe('public');
    const anonymous = await content(file.id, { query: '?disposition=inline' });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.headers['content-disposition']).toBe('inline; filename="picture.png"');
    expect(anonymous.headers['cache-control']).toContain('public');
    await t.request({ method: 'PATCH', url: `/api/v1/files/${file.id}`, token: owner.token, payload: { visibility: 'private' } });
    expect((await content(file.id)).statusCode).toBe(404);
  });

  it('when a text file is asked inline, then it still downloads as an attachment', async () => {
    const res = await upload(owner, [{ filename: 'notes.txt', content: Buffer.from('just text\n') }]);
    const down = await content(res.json().items[0].id, { token: owner.token, query: '?disposition=inline' });
    expect(down.headers['content-disposition']).toBe('attachment; filename="notes.txt"');
    expect(down.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('when the name has non-ASCII characters or a path, then Content-Disposition has an ASCII fallback and filename*', async () => {
    const file = await uploadOne(owner, png(300), '../../etc/Zażółć gęślą; jaźń.png');
    expect(file.name).toBe('Zażółć gęślą; jaźń.png');
    const down = await content(file.id, { token: owner.token });
    expect(down.headers['content-disposition']).toBe(
      `attachment; filename="Zazo_c gesla_ jazn.png"; filename*=UTF-8''Za%C5%BC%C3%B3%C5%82%C4%87%20g%C4%99%C5%9Bl%C4%85%3B%20ja%C5%BA%C5%84.png`,
    );
  });

  it('when the name carries a right-to-left override, then it is stored without it', async () => {
    const file = await uploadOne(owner, png(300), 'invoice\u202Efdp.exe');
    expect(file.name).toBe('invoicefdp.exe');
  });

  it('when a signed link is made, then it works without a token until it expires, and tampering gives 403', async () => {
    const file = await uploadOne(owner, png(700));
    const made = await t.request({ method: 'POST', url: `/api/v1/files/${file.id}/links`, token: owner.token, payload: { expiresIn: 60 } });
    expect(made.statusCode).toBe(201);
    const link = new URL(made.json().url);
    const path = `${link.pathname}${link.search}`;
    const valid = await t.request({ method: 'GET', url: path });
    expect(valid.statusCode).toBe(200);
    expect(sha256(valid.rawPayload)).toBe(file.sha256);

    const signature = link.searchParams.get('signature') as string;
    const expires = Number(link.searchParams.get('expires'));
    const tampered = [
      `${link.pathname}?expires=${expires + 3600}&signature=${signature}`,
      // Another first character: it carries six bits of the MAC (the last one carries padding
      // bits, and a fixed 'AA' suffix matched the real signature once in 4,096 runs).
      `${link.pathname}?expires=${expires}&signature=${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`,
      `${link.pathname}?expires=${expires}`,
      `/api/v1/files/${(await uploadOne(owner, png(100))).id}/content?expires=${expires}&signature=${signature}`,
    ];
    for (const url of tampered) {
      const res = await t.request({ method: 'GET', url });
      expect(res.statusCode, url).toBe(403);
      expect(res.json().code).toBe('INVALID_SIGNATURE');
    }

    t.clock.advance(61_000);
    const expired = await t.request({ method: 'GET', url: path });
    expect(expired.statusCode).toBe(403);
    expect(expired.json().code).toBe('LINK_EXPIRED');
  });

  it('when uploads would pass the quota, then 413 QUOTA_EXCEEDED; deleting files frees the space', async () => {
    const user = await t.createUser();
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await uploadOne(user, png(250 * KB))).id);
    const over = await upload(user, [{ filename: 'one-too-many.png', content: png(30 * KB) }]);
    expect(over.statusCode).toBe(413);
    expect(over.json().code).toBe('QUOTA_EXCEEDED');
    expect(await rowsOf(user)).toEqual({ files: 4, uploads: 0 });
    await t.request({ method: 'DELETE', url: `/api/v1/files/${ids[0]}`, token: user.token });
    expect((await upload(user, [{ filename: 'fits-now.png', content: png(30 * KB) }])).statusCode).toBe(201);
  });

  it('when uploads race for the last of the quota, then exactly as many as fit succeed', async () => {
    const user = await t.createUser();
    // 1 MiB quota, 200 KiB each: five fit, the other three must be refused.
    const results = await Promise.all(Array.from({ length: 8 }, () => upload(user, [{ filename: 'race.png', content: png(200 * KB) }])));
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([201, 201, 201, 201, 201, 413, 413, 413]);
    expect(await usedBy(user)).toBe(5 * 200 * KB);
    expect(await rowsOf(user)).toEqual({ files: 5, uploads: 0 });
    const keys = await storedObjects();
    const listed = (await t.request({ method: 'GET', url: '/api/v1/files', token: user.token })).json().items as { id: string }[];
    for (const f of listed) expect(keys.some((k) => k.endsWith(f.id))).toBe(true);
  });

  it('when a file is deleted, then its row and blob are gone and its quota is returned', async () => {
    const user = await t.createUser();
    const file = await uploadOne(user, png(5000));
    const key = storageKeyOf(file.id);
    expect(await t.platform.storage.head(key)).toEqual({ size: 5000 });
    const res = await t.request({ method: 'DELETE', url: `/api/v1/files/${file.id}`, token: user.token });
    expect(res.statusCode).toBe(204);
    expect(await t.platform.storage.head(key)).toBeUndefined();
    expect(await rowsOf(user)).toEqual({ files: 0, uploads: 0 });
    expect(await usedBy(user)).toBe(0);
    expect((await content(file.id, { token: user.token })).statusCode).toBe(404);
    expect((await t.request({ method: 'DELETE', url: `/api/v1/files/${file.id}`, token: user.token })).statusCode).toBe(404);
  });

  it('when a deletion was interrupted and a blob is orphaned, then the cleanup sweep finishes both', async () => {
    const user = await t.createUser();
    const file = await uploadOne(user, png(4000));
    const kept = await uploadOne(user, png(4000));
    const repo = createFilesRepo(t.platform.db);
    // A crash right after the first step of a deletion: row hidden, blob still there.
    await repo.markDeleting(file.id, { id: user.id, role: 'user' }, t.clock.now());
    expect((await content(file.id, { token: user.token })).statusCode).toBe(404);
    // A crash between storing a blob and recording its row.
    const { Readable } = await import('node:stream');
    await t.platform.storage.put('zz/orphan-0000', Readable.from([png(100)]));

    const { sweep } = createFilesServices(t.platform);
    t.clock.advance(2 * 60 * 60 * 1000);
    const swept = await sweep();
    expect(swept.deletions).toBeGreaterThanOrEqual(1);
    expect(swept.orphans).toBeGreaterThanOrEqual(1);
    expect(await t.platform.storage.head(storageKeyOf(file.id))).toBeUndefined();
    expect(await t.platform.storage.head('zz/orphan-0000')).toBeUndefined();
    expect(await t.platform.storage.head(storageKeyOf(kept.id))).toEqual({ size: 4000 });
    expect(await rowsOf(user)).toEqual({ files: 1, uploads: 0 });
  });

  it('when the account is deleted, then its files disappear', async () => {
    const user = await t.createUser();
    const file = await uploadOne(user, png(1000));
    const admin = await t.admin();
    expect((await t.request({ method: 'DELETE', url: `/api/v1/admin/users/${user.id}`, token: admin.token })).statusCode).toBe(204);
    for (let i = 0; i < 100 && (await repoHasActive(file.id)); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await content(file.id, { token: admin.token })).statusCode).toBe(404);
  });

  it('when the catalog asks about images, then only public raster images get URLs, in the order asked', async () => {
    // A fresh user: earlier tests moved the clock past the first users' token lifetime.
    const owner = await t.createUser();
    const image = await uploadOne(owner, png(600));
    const privateImage = await uploadOne(owner, png(600));
    const text = (await upload(owner, [{ filename: 'a.txt', content: Buffer.from('words\n') }])).json().items[0];
    for (const id of [image.id, text.id]) {
      await t.request({ method: 'PATCH', url: `/api/v1/files/${id}`, token: owner.token, payload: { visibility: 'public' } });
    }
    const files = createFilesContract(t.platform);
    expect(await files.isPublicImage(image.id)).toBe(true);
    expect(await files.isPublicImage(privateImage.id)).toBe(false);
    expect(await files.isPublicImage(text.id)).toBe(false);
    expect(await files.isPublicImage('not-a-uuid')).toBe(false);
    const url = files.publicUrlOf(image.id);
    expect(url).toMatch(new RegExp(`/api/v1/files/${image.id}/content\\?disposition=inline$`));
    expect(await files.publicImages([privateImage.id, image.id, text.id, image.id])).toEqual([
      { fileId: image.id, url, contentType: 'image/png' },
      { fileId: image.id, url, contentType: 'image/png' },
    ]);
    const served = await t.request({ method: 'GET', url: new URL(url).pathname + new URL(url).search });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-disposition']).toMatch(/^inline;/);
  });

  it('when the OpenAPI document is read, then every files route is in it with its access', async () => {
    const spec = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    expect(spec.paths['/api/v1/files'].post['x-access']).toBe('user');
    expect(spec.paths['/api/v1/files/{id}/content'].get['x-access']).toBe('public');
    expect(spec.paths['/api/v1/files/tus/{id}'].patch['x-access']).toBe('user');
    expect(Object.keys(spec.paths['/api/v1/files'].post.requestBody.content)).toEqual(['multipart/form-data']);
  });

  async function repoHasActive(id: string) {
    return (await createFilesRepo(t.platform.db).findActiveFile(id)) !== undefined;
  }
});
