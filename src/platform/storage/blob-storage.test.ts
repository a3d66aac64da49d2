import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeS3, startFakeS3 } from '../../../test/fake-s3.js';
import { BlobNotFoundError, type BlobStorage } from './blob-storage.js';
import { createLocalStorage } from './local-storage.js';
import { createS3Storage, PIECE_BYTES } from './s3-storage.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Yields `chunks`, then fails like a client that disconnected. */
async function* cutAfter(chunks: Buffer[]) {
  for (const c of chunks) yield c;
  throw new Error('aborted');
}

interface Backend {
  name: string;
  open(): Promise<{ storage: BlobStorage; leftovers(): Promise<string[]>; close(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'local disk',
    async open() {
      const root = await mkdtemp(join(tmpdir(), 'zaplecze-blobs-'));
      const storage = await createLocalStorage(root);
      return {
        storage,
        leftovers: async () => (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name),
        close: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3 (s3rver)',
    async open() {
      const s3: FakeS3 = await startFakeS3();
      const storage = createS3Storage({
        bucket: s3.env.S3_BUCKET as string,
        region: 'us-east-1',
        endpoint: s3.env.S3_ENDPOINT,
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
      return {
        storage,
        leftovers: () => s3.listKeys(),
        close: async () => {
          await storage.close();
          await s3.close();
        },
      };
    },
  },
];

describe.each(backends)('blob storage on $name', (backend) => {
  let b: Awaited<ReturnType<Backend['open']>>;
  beforeAll(async () => {
    b = await backend.open();
  });
  afterAll(() => b.close());

  it('when a blob is put, then get returns the same bytes, ranges return their slice, and delete removes it', async () => {
    const data = randomBytes(300_000);
    const { size } = await b.storage.put('aa/round-trip', Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    expect(size).toBe(data.length);
    expect(sha(await readAll(await b.storage.get('aa/round-trip')))).toBe(sha(data));
    expect(await readAll(await b.storage.get('aa/round-trip', { start: 0, end: 0 }))).toEqual(data.subarray(0, 1));
    expect(await readAll(await b.storage.get('aa/round-trip', { start: 299_990, end: 299_999 }))).toEqual(data.subarray(299_990));
    expect(await b.storage.head('aa/round-trip')).toEqual({ size: data.length });
    const listed = [];
    for await (const entry of b.storage.list()) listed.push(entry.key);
    expect(listed).toContain('aa/round-trip');
    await b.storage.delete('aa/round-trip');
    await b.storage.delete('aa/round-trip');
    expect(await b.storage.head('aa/round-trip')).toBeUndefined();
    await expect(b.storage.get('aa/round-trip')).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('when the source fails halfway, then nothing is stored and no temporary data is left', async () => {
    const before = await b.leftovers();
    await expect(b.storage.put('aa/broken', Readable.from(cutAfter([randomBytes(100_000)])))).rejects.toThrow('aborted');
    expect(await b.storage.head('aa/broken')).toBeUndefined();
    expect(await b.leftovers()).toEqual(before);
  });

  it('when a key could escape the storage root, then it is refused', async () => {
    for (const key of ['../x', '/etc/passwd', 'a/../../b', 'A/B', 'a//b', '']) {
      await expect(b.storage.put(key, Readable.from([Buffer.from('x')]))).rejects.toThrow(/Unsafe blob key/);
    }
  });

  it('when appends are cut, then the received bytes are kept, stale bytes dropped, and commit makes one blob', async () => {
    const data = randomBytes(PIECE_BYTES + 50_000);
    const first = await b.storage.appendPart('up/one', 0, cutAfter([data.subarray(0, 70_000)]));
    expect(first).toMatchObject({ written: 70_000, error: expect.any(Error) });
    // An append whose outcome was never recorded: its bytes must not count.
    await b.storage.appendPart('up/one', 70_000, cutAfter([randomBytes(10)]));
    const second = await b.storage.appendPart(
      'up/one',
      70_000,
      (async function* () {
        yield data.subarray(70_000, 5_000_000);
        yield data.subarray(5_000_000);
      })(),
    );
    expect(second).toEqual({ written: data.length - 70_000 });
    expect(await readAll(await b.storage.readPart('up/one', 100))).toEqual(data.subarray(0, 100));
    const hash = createHash('sha256');
    const { size } = await b.storage.commitPart('up/one', 'bb/committed', data.length, (c) => hash.update(c));
    expect(size).toBe(data.length);
    expect(hash.digest('hex')).toBe(sha(data));
    expect(sha(await readAll(await b.storage.get('bb/committed')))).toBe(sha(data));
    await b.storage.delete('bb/committed');
    expect(await b.leftovers()).toEqual([]);
  });

  it('when an append is truncated back, then only the bytes before it remain', async () => {
    await b.storage.appendPart('up/two', 0, Readable.from([Buffer.from('hello ')]));
    await b.storage.appendPart('up/two', 6, Readable.from([Buffer.from('world')]));
    await b.storage.truncatePart('up/two', 6);
    expect((await readAll(await b.storage.readPart('up/two'))).toString()).toBe('hello ');
    await b.storage.deletePart('up/two');
    expect(await b.leftovers()).toEqual([]);
  });
});
