import { PassThrough } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { receivedChunks } from './received-body.js';

const chunk = (n: number, fill: number) => Buffer.alloc(n, fill);

describe('receivedChunks', () => {
  it('when the body ends, then every chunk comes in order', async () => {
    const source = new PassThrough();
    const read = (async () => {
      const got: Buffer[] = [];
      for await (const c of receivedChunks(source)) got.push(c);
      return Buffer.concat(got);
    })();
    source.write(chunk(3, 1));
    source.end(chunk(2, 2));
    expect(await read).toEqual(Buffer.from([1, 1, 1, 2, 2]));
  });

  it('when the connection breaks while the consumer is still writing, then it gets every received chunk before the error', async () => {
    const source = new PassThrough();
    const chunks = receivedChunks(source);
    const first = await Promise.all([chunks.next(), source.write(chunk(10, 1))]);
    expect(first[0].value).toHaveLength(10);
    // Received while the consumer was busy with the first chunk, then the client went away.
    source.write(chunk(20, 2));
    source.write(chunk(30, 3));
    await tick();
    source.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    await tick();
    expect((await chunks.next()).value).toEqual(chunk(20, 2));
    expect((await chunks.next()).value).toEqual(chunk(30, 3));
    await expect(chunks.next()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('when the stream closes without an end or an error, then the received chunks come and then an ECONNRESET', async () => {
    const source = new PassThrough();
    const chunks = receivedChunks(source);
    const pending = chunks.next();
    source.write(chunk(5, 7));
    expect((await pending).value).toEqual(chunk(5, 7));
    source.destroy();
    await expect(chunks.next()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('when more than the limit waits, then the source is paused until the consumer catches up, and nothing is lost', async () => {
    const source = new PassThrough();
    const chunks = receivedChunks(source, 100);
    const started = chunks.next();
    for (let i = 0; i < 6; i++) source.write(chunk(40, i));
    await tick();
    expect((await started).value).toEqual(chunk(40, 0));
    expect(source.isPaused()).toBe(true);
    const rest: Buffer[] = [];
    const drained = (async () => {
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) rest.push(next.value);
    })();
    source.end();
    await drained;
    expect(source.isPaused()).toBe(false);
    expect(rest).toEqual([1, 2, 3, 4, 5].map((i) => chunk(40, i)));
  });

  it('when the body ended or broke before it is read, then it ends or throws at once instead of waiting', async () => {
    const ended = new PassThrough();
    ended.end();
    ended.resume();
    await new Promise((resolve) => ended.once('end', resolve));
    expect(await receivedChunks(ended).next()).toEqual({ done: true, value: undefined });
    // Someone else listens for the error, as Node's HTTP server does for a request.
    const broken = new PassThrough().on('error', () => {});
    broken.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    await tick();
    await expect(receivedChunks(broken).next()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('when the consumer stops early, then the body is destroyed, as `for await` does', async () => {
    const source = new PassThrough();
    source.write(chunk(10, 1));
    for await (const _ of receivedChunks(source)) break;
    expect(source.destroyed).toBe(true);
  });
});
