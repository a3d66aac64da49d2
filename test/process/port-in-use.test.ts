import { once } from 'node:events';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, killAllServers, startServer } from './server-process.js';

describe('server process: port already in use', () => {
  let dataDir: string;
  let squatter: Server;
  let port: number;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'zaplecze-proc-port-'));
    squatter = createServer();
    squatter.listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    port = (squatter.address() as { port: number }).port;
  });

  afterAll(async () => {
    await killAllServers();
    squatter.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when PORT is taken, then the server exits non-zero naming the address, and leaves the data folder unlocked', async () => {
    const server = await startServer({ DATA_DIR: dataDir, PORT: String(port) });
    const code = await exitOf(server, 90_000);
    expect(code).toBe(1);
    expect(server.output()).toMatch(new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
    await expect(access(join(dataDir, 'zaplecze.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 120_000);
});
