/**
 * Baseline for the files bench: the least a Node HTTP server does to take a file upload and
 * serve it back. POST /upload: pipeline(req, file); GET /download: createReadStream -> res.
 * POST /upload-hashed does the work Zaplecze must do besides: SHA-256 of the bytes and fsync
 * before answering, to show how much of the gap is that work and how much is the framework.
 * Listens on PORT and HOST; stores in RAW_FILES_DIR (default: the OS temp folder).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const file = join(process.env.RAW_FILES_DIR ?? tmpdir(), `raw-files-${process.pid}.bin`);

createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/upload') {
      await pipeline(req, createWriteStream(file));
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
    } else if (req.method === 'POST' && req.url === '/upload-hashed') {
      const hash = createHash('sha256');
      req.on('data', (chunk) => hash.update(chunk));
      await pipeline(req, createWriteStream(file, { flush: true }));
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sha256: hash.digest('hex') }));
    } else if (req.method === 'GET' && req.url === '/download') {
      const { size } = await stat(file);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      await pipeline(createReadStream(file), res);
    } else if (req.url === '/health') {
      res.writeHead(200).end('ok');
    } else {
      res.writeHead(404).end();
    }
  } catch {
    res.destroy();
  }
}).listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
