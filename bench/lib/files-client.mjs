/**
 * One timed transfer for the files bench, run pinned to the load core: streams a file up
 * (raw body, or as one multipart/form-data part) or downloads a body and discards it (or, for
 * the bench's untimed content check, hashes it).
 * argv[2]: JSON { mode: 'upload'|'download', url, file?, multipart?, headers?, hash? }.
 * Prints one JSON line: { status, bytes, ms, cpuMs, body?, sha256? }.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import { ownCpuMs } from './cpu.mjs';

const spec = JSON.parse(process.argv[2]);

async function upload() {
  const { size } = await stat(spec.file);
  const boundary = '----zapleczebench7d3f';
  const head = spec.multipart
    ? Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      )
    : Buffer.alloc(0);
  const tail = spec.multipart ? Buffer.from(`\r\n--${boundary}--\r\n`) : Buffer.alloc(0);
  const headers = {
    ...spec.headers,
    'content-length': head.length + size + tail.length,
    'content-type': spec.multipart ? `multipart/form-data; boundary=${boundary}` : 'application/octet-stream',
  };
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(spec.url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, bytes: size, ms: performance.now() - t0, body: body.slice(0, 2000) }));
    });
    req.on('error', reject);
    req.write(head);
    const source = createReadStream(spec.file, { highWaterMark: 256 * 1024 });
    source.pipe(req, { end: false });
    source.on('end', () => req.end(tail));
    source.on('error', reject);
  });
}

async function download() {
  const t0 = performance.now();
  // Only the untimed check hashes: hashing a GiB costs this core about as much as receiving it.
  const hash = spec.hash ? createHash('sha256') : undefined;
  return new Promise((resolve, reject) => {
    request(spec.url, { headers: spec.headers }, (res) => {
      let bytes = 0;
      res.on('data', (c) => {
        bytes += c.length;
        hash?.update(c);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode, bytes, ms: performance.now() - t0, ...(hash ? { sha256: hash.digest('hex') } : {}) }),
      );
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const cpu0 = ownCpuMs();
const result = await (spec.mode === 'upload' ? upload() : download());
process.stdout.write(`${JSON.stringify({ ...result, cpuMs: ownCpuMs() - cpu0 })}\n`);
