import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeS3, startFakeS3 } from '../../../test/fake-s3.js';
import { png } from '../../../test/files-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { createFilesServices } from './index.js';
import { createFilesRepo } from './repo.js';
import { storageKeyOf } from './service.js';

const sha = (algorithm: string, b: Buffer) => createHash(algorithm).update(b);
const TUS = { 'tus-resumable': '1.0.0' };
const OFFSET_STREAM = 'application/offset+octet-stream';
const metadata = (pairs: Record<string, string>) =>
  Object.entries(pairs)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');

const backends = [
  { name: 'local disk', start: async (): Promise<FakeS3 | undefined> => undefined },
  { name: 's3 (s3rver)', start: startFakeS3 },
];

describe.each(backends)('tus uploads on $name', (backend) => {
  let t: TestApp;
  let s3: FakeS3 | undefined;

  beforeAll(async () => {
    s3 = await backend.start();
    t = await createTestApp({ env: { ...(s3?.env ?? {}), MAX_UPLOAD_BYTES: '4mb', FILES_QUOTA_BYTES: '6mb', FILES_UPLOAD_TTL: '10m' } });
  });
  afterAll(async () => {
    await t.close();
    await s3?.close();
  });

  async function storedObjects(): Promise<string[]> {
    if (s3) return s3.listKeys();
    const root = join(t.platform.config.DATA_DIR, 'files');
    return (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  }

  async function create(user: TestUser, length: number, name = 'big.png') {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/files/tus',
      token: user.token,
      headers: { ...TUS, 'upload-length': String(length), 'upload-metadata': metadata({ filename: name, filetype: 'image/png' }) },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.headers.location as string;
  }
  const patch = (user: TestUser, url: string, offset: number, body: Buffer, headers: Record<string, string> = {}) =>
    t.request({
      method: 'PATCH',
      url,
      token: user.token,
      headers: { ...TUS, 'content-type': OFFSET_STREAM, 'upload-offset': String(offset), ...headers },
      payload: body,
    });
  const head = (user: TestUser, url: string) => t.request({ method: 'HEAD', url, token: user.token, headers: TUS });

  it('when a client asks with OPTIONS, then the server advertises tus 1.0.0, its extensions and the maximum size', async () => {
    const res = await t.request({ method: 'OPTIONS', url: '/api/v1/files/tus' });
    expect(res.statusCode).toBe(204);
    expect(res.headers).toMatchObject({
      'tus-resumable': '1.0.0',
      'tus-version': '1.0.0',
      'tus-extension': 'creation,termination,expiration,checksum',
      'tus-max-size': String(4 * 1024 * 1024),
      'tus-checksum-algorithm': 'sha1,sha256,md5',
    });
  });

  it('when an upload is sent in pieces, then HEAD tracks the offset and the last piece makes a normal file', async () => {
    const user = await t.createUser();
    const data = png(3 * 1024 * 1024 + 123);
    const url = await create(user, data.length, 'Kraków.png');
    expect(url).toMatch(/^\/api\/v1\/files\/tus\/[0-9a-f-]{36}$/);
    const start = await head(user, url);
    expect(start.statusCode).toBe(200);
    expect(start.headers).toMatchObject({ 'upload-offset': '0', 'upload-length': String(data.length), 'cache-control': 'no-store' });
    expect(start.headers['upload-expires']).toBeTruthy();

    const cut = 1024 * 1024 + 7;
    const first = await patch(user, url, 0, data.subarray(0, cut));
    expect(first.statusCode).toBe(204);
    expect(first.headers['upload-offset']).toBe(String(cut));
    expect((await head(user, url)).headers['upload-offset']).toBe(String(cut));
    const last = await patch(user, url, cut, data.subarray(cut));
    expect(last.statusCode, last.body).toBe(204);
    expect(last.headers['upload-offset']).toBe(String(data.length));

    const id = url.split('/').pop() as string;
    const meta = await t.request({ method: 'GET', url: `/api/v1/files/${id}`, token: user.token });
    expect(meta.json()).toMatchObject({ id, name: 'Kraków.png', size: data.length, contentType: 'image/png' });
    expect(meta.json().sha256).toBe(sha('sha256', data).digest('hex'));
    const down = await t.request({ method: 'GET', url: `/api/v1/files/${id}/content`, token: user.token });
    expect(sha('sha256', down.rawPayload).digest('hex')).toBe(sha('sha256', data).digest('hex'));
    expect((await head(user, url)).statusCode).toBe(404);
    expect(await createFilesRepo(t.platform.db).usedBytes(user.id)).toBe(data.length);
  });

  it('when a PATCH is cut off mid-body, then the received bytes are kept and the client resumes from HEAD', async () => {
    const user = await t.createUser();
    const data = png(2 * 1024 * 1024);
    const url = await create(user, data.length);
    const address = await t.http.listen({ port: 0, host: '127.0.0.1' });
    const socket = connect(Number(new URL(address).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `PATCH ${url} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${user.token}\r\nTus-Resumable: 1.0.0\r\n` +
        `Content-Type: ${OFFSET_STREAM}\r\nUpload-Offset: 0\r\nContent-Length: ${data.length}\r\n\r\n`,
    );
    const sent = 700 * 1024;
    await new Promise((resolve) => socket.write(data.subarray(0, sent), resolve));
    socket.destroy();

    // The server records the offset once it notices the cut: poll HEAD for it.
    let offset = 0;
    for (let i = 0; i < 200 && offset < sent; i++) {
      offset = Number((await head(user, url)).headers['upload-offset']);
      if (offset < sent) await new Promise((r) => setTimeout(r, 50));
    }
    expect(offset).toBe(sent);
    const rest = await patch(user, url, offset, data.subarray(offset));
    expect(rest.statusCode, rest.body).toBe(204);
    const id = url.split('/').pop() as string;
    const down = await t.request({ method: 'GET', url: `/api/v1/files/${id}/content`, token: user.token });
    expect(down.rawPayload.equals(data)).toBe(true);
  });

  it('when a completion crashed after the bytes were moved, then repeating the last PATCH finishes the file', async () => {
    const user = await t.createUser();
    const data = png(50_000);
    const url = await create(user, data.length);
    const id = url.split('/').pop() as string;
    // Every byte arrived, then the process died inside the completion: bytes moved, row not written.
    await t.platform.storage.appendPart(`uploads/${id}`, 0, Readable.from([data]));
    await t.platform.storage.commitPart(`uploads/${id}`, storageKeyOf(id), data.length, () => {});
    await createFilesRepo(t.platform.db).releaseUpload(id, data.length, new Date(t.clock.now().getTime() + 60_000));
    expect((await head(user, url)).headers['upload-offset']).toBe(String(data.length));

    const retry = await patch(user, url, data.length, Buffer.alloc(0));
    expect(retry.statusCode, retry.body).toBe(204);
    const meta = await t.request({ method: 'GET', url: `/api/v1/files/${id}`, token: user.token });
    expect(meta.json()).toMatchObject({ size: data.length, sha256: sha('sha256', data).digest('hex'), contentType: 'image/png' });
    expect((await t.request({ method: 'GET', url: `/api/v1/files/${id}/content`, token: user.token })).rawPayload.equals(data)).toBe(true);
  });

  it('when the tus filename carries bidirectional controls, then the file keeps the name without them', async () => {
    const user = await t.createUser();
    const data = png(500);
    const url = await create(user, data.length, '\u2067invoice\u202Efdp.exe\u2069');
    expect((await patch(user, url, 0, data)).statusCode).toBe(204);
    const meta = await t.request({ method: 'GET', url: `/api/v1/files/${url.split('/').pop()}`, token: user.token });
    expect(meta.json().name).toBe('invoicefdp.exe');
  });

  it('when the offset is wrong, the body type is wrong or Tus-Resumable is missing, then 409, 415 and 412', async () => {
    const user = await t.createUser();
    const url = await create(user, 1000);
    expect((await patch(user, url, 10, png(100))).statusCode).toBe(409);
    const wrongType = await patch(user, url, 0, png(100), { 'content-type': 'application/octet-stream' });
    expect(wrongType.statusCode).toBe(415);
    const noVersion = await t.request({
      method: 'PATCH',
      url,
      token: user.token,
      headers: { 'content-type': OFFSET_STREAM, 'upload-offset': '0' },
      payload: png(100),
    });
    expect(noVersion.statusCode).toBe(412);
    expect(noVersion.headers['tus-version']).toBe('1.0.0');
    const tooMuch = await patch(user, url, 0, png(1001));
    expect(tooMuch.statusCode).toBe(400);
    expect((await head(user, url)).headers['upload-offset']).toBe('0');
  });

  it('when another PATCH holds the upload, then a second one gets 423 and may retry once it is released', async () => {
    const user = await t.createUser();
    const url = await create(user, 1000);
    const id = url.split('/').pop() as string;
    const repo = createFilesRepo(t.platform.db);
    // As if a PATCH were streaming on another instance right now.
    await repo.claimUpload(id, user.id, 0, t.clock.now(), new Date(t.clock.now().getTime() + 60_000));
    expect((await patch(user, url, 0, png(100))).statusCode).toBe(423);
    await repo.releaseUpload(id, 0, new Date(t.clock.now().getTime() + 60_000));
    expect((await patch(user, url, 0, png(100))).statusCode).toBe(204);
  });

  it('when the account is deleted, then its open uploads and their bytes go too', async () => {
    const user = await t.createUser();
    const url = await create(user, 10_000);
    await patch(user, url, 0, png(5000));
    const admin = await t.admin();
    expect((await t.request({ method: 'DELETE', url: `/api/v1/admin/users/${user.id}`, token: admin.token })).statusCode).toBe(204);
    const id = url.split('/').pop() as string;
    // The removal runs in the event handler, after the response: wait for it to finish.
    const gone = async () =>
      (await createFilesRepo(t.platform.db).countRows(user.id)).uploads === 0 && !(await storedObjects()).some((k) => k.includes(id));
    for (let i = 0; i < 200 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 25));
    expect(await createFilesRepo(t.platform.db).countRows(user.id)).toEqual({ files: 0, uploads: 0 });
    expect((await storedObjects()).some((k) => k.includes(id))).toBe(false);
  });

  it('when Upload-Checksum matches, then the bytes are kept; when it does not, then 460 and the offset stays', async () => {
    const user = await t.createUser();
    const data = png(5000);
    const url = await create(user, data.length);
    const part = data.subarray(0, 2000);
    const bad = await patch(user, url, 0, part, { 'upload-checksum': `sha1 ${sha('sha1', Buffer.from('other')).digest('base64')}` });
    expect(bad.statusCode).toBe(460);
    expect((await head(user, url)).headers['upload-offset']).toBe('0');
    const good = await patch(user, url, 0, part, { 'upload-checksum': `sha1 ${sha('sha1', part).digest('base64')}` });
    expect(good.statusCode).toBe(204);
    expect(good.headers['upload-offset']).toBe('2000');
    const unknown = await patch(user, url, 2000, data.subarray(2000), { 'upload-checksum': 'crc32 AAAA' });
    expect(unknown.statusCode).toBe(400);
  });

  it('when an upload is terminated, then its bytes and its quota reservation are gone', async () => {
    const user = await t.createUser();
    const before = await storedObjects();
    const url = await create(user, 4 * 1024 * 1024);
    expect(await createFilesRepo(t.platform.db).usedBytes(user.id)).toBe(4 * 1024 * 1024);
    await patch(user, url, 0, png(100_000));
    const res = await t.request({ method: 'DELETE', url, token: user.token, headers: TUS });
    expect(res.statusCode).toBe(204);
    expect((await head(user, url)).statusCode).toBe(404);
    expect(await storedObjects()).toEqual(before);
    expect(await createFilesRepo(t.platform.db).usedBytes(user.id)).toBe(0);
  });

  it('when uploads would pass the quota or the size limit, then creation is refused with 413', async () => {
    const user = await t.createUser();
    await create(user, 4 * 1024 * 1024);
    const quota = await t.request({
      method: 'POST',
      url: '/api/v1/files/tus',
      token: user.token,
      headers: { ...TUS, 'upload-length': String(3 * 1024 * 1024) },
    });
    expect(quota.statusCode).toBe(413);
    expect(quota.json().code).toBe('QUOTA_EXCEEDED');
    const size = await t.request({
      method: 'POST',
      url: '/api/v1/files/tus',
      token: user.token,
      headers: { ...TUS, 'upload-length': String(5 * 1024 * 1024) },
    });
    expect(size.statusCode).toBe(413);
    expect(size.json().code).toBe('FILE_TOO_LARGE');
    const missing = await t.request({ method: 'POST', url: '/api/v1/files/tus', token: user.token, headers: TUS });
    expect(missing.statusCode).toBe(400);
    const anonymous = await t.request({ method: 'POST', url: '/api/v1/files/tus', headers: { ...TUS, 'upload-length': '10' } });
    expect(anonymous.statusCode).toBe(401);
  });

  it('when the finished upload is HTML in disguise, then 415 and the upload leaves nothing behind', async () => {
    const user = await t.createUser();
    const before = await storedObjects();
    const html = Buffer.from('<html><body><script>steal()</script></body></html>');
    const url = await create(user, html.length, 'innocent.png');
    const res = await patch(user, url, 0, html);
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('FILE_TYPE_NOT_ALLOWED');
    expect(await storedObjects()).toEqual(before);
    expect(await createFilesRepo(t.platform.db).countRows(user.id)).toEqual({ files: 0, uploads: 0 });
    expect(await createFilesRepo(t.platform.db).usedBytes(user.id)).toBe(0);
  });

  it('when someone else’s upload is addressed, then 404', async () => {
    const owner = await t.createUser();
    const other = await t.createUser();
    const url = await create(owner, 100);
    expect((await head(other, url)).statusCode).toBe(404);
    expect((await patch(other, url, 0, png(100))).statusCode).toBe(404);
    expect((await t.request({ method: 'DELETE', url, token: other.token, headers: TUS })).statusCode).toBe(404);
  });

  it('when an upload sits idle past its expiry, then it answers 410 and the sweep removes it and its reservation', async () => {
    const user = await t.createUser();
    const url = await create(user, 50_000);
    await patch(user, url, 0, png(10_000));
    // Past the 10 minute idle limit, within the access token's 15 minutes.
    t.clock.advance(11 * 60 * 1000);
    expect((await head(user, url)).statusCode).toBe(410);
    expect((await patch(user, url, 10_000, png(100))).statusCode).toBe(410);
    const swept = await createFilesServices(t.platform).sweep();
    expect(swept.uploads).toBeGreaterThanOrEqual(1);
    expect((await head(user, url)).statusCode).toBe(404);
    expect(await createFilesRepo(t.platform.db).usedBytes(user.id)).toBe(0);
    const id = url.split('/').pop() as string;
    expect((await storedObjects()).some((k) => k.includes(id))).toBe(false);
  });
});
