/**
 * A request body as chunks that include every byte the server received, also when the client
 * goes away mid-body: what a resumable upload keeps, so the client resumes from there.
 *
 * Iterating the request itself (`for await (const chunk of request)`) pulls chunks from the
 * stream's buffer while the consumer writes the previous one; when the connection closes, Node
 * destroys the request with the error and drops what is still in that buffer. Seen here: a tus
 * PATCH cut off after 700 KiB kept 640-670 KiB on Node 24, and Node 20 loses a few KiB too under
 * load. Here the chunks are taken as they arrive into a queue of our own, and the consumer gets
 * all of them before the error. Past `maxQueuedBytes` the request is paused, so a slow disk cannot
 * let a fast client fill the memory; while paused, the bytes wait in the socket, not received.
 */
import type { Readable } from 'node:stream';

/** Why the body ended early when the stream closed without an error of its own. */
function aborted(): Error {
  return Object.assign(new Error('the client closed the connection before the body ended'), { code: 'ECONNRESET' });
}

export async function* receivedChunks(source: Readable, maxQueuedBytes = 1024 * 1024): AsyncGenerator<Buffer> {
  // Its events have passed already: waiting for them would wait for ever.
  if (source.readableEnded) return;
  if (source.destroyed) throw source.errored ?? aborted();
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const onData = (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued > maxQueuedBytes) source.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (err: Error) => {
    failure ??= err;
    notify();
  };
  const onClose = () => {
    if (!ended) failure ??= aborted();
    notify();
  };
  source.on('data', onData);
  source.on('end', onEnd);
  source.on('error', onError);
  source.on('close', onClose);
  try {
    while (true) {
      const chunk = queue.shift();
      if (chunk) {
        queued -= chunk.length;
        if (source.isPaused() && queued <= maxQueuedBytes / 2) source.resume();
        yield chunk;
      } else if (failure) throw failure;
      else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    source.off('data', onData);
    source.off('end', onEnd);
    source.off('error', onError);
    source.off('close', onClose);
    // A consumer that stops early (too many bytes) ends the body as `for await` would.
    if (!ended && !failure) source.destroy();
  }
}
