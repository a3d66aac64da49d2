import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, killAllServers, type ServerProcess, startServer, waitUntilLive } from './server-process.js';

describe('server process: data folder lock', () => {
  let dataDir: string;
  let first: ServerProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'zaplecze-proc-lock-'));
    first = await startServer({ DATA_DIR: dataDir });
    await waitUntilLive(first);
  }, 90_000);

  afterAll(async () => {
    await killAllServers();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when a second server starts on the same DATA_DIR, then it exits non-zero saying the folder is in use and the first keeps serving', async () => {
    const second = await startServer({ DATA_DIR: dataDir });
    const code = await exitOf(second, 60_000);
    expect(code).not.toBe(0);
    expect(code).toBe(75);
    expect(second.output()).toMatch(
      new RegExp(`data folder ${dataDir} is in use by another Zaplecze process \\(pid ${first.child.pid}\\)`),
    );

    const ready = await fetch(`${first.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { database: 'ok' } });
    const register = await fetch(`${first.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'still-works@test.local', password: 'a-perfectly-fine-passphrase', name: 'Still' }),
    });
    expect(register.status).toBe(202);
  }, 90_000);
});
