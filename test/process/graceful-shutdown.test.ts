import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, killAllServers, startServer, waitUntilLive } from './server-process.js';

const USER = { email: 'durable@test.local', password: 'a-perfectly-fine-passphrase', name: 'Durable' };

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('server process: graceful shutdown', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'zaplecze-proc-shutdown-'));
  });

  afterAll(async () => {
    await killAllServers();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when SIGTERM arrives after a write, then the process exits 0, releases the lock, and a restart still has the write', async () => {
    const first = await startServer({ DATA_DIR: dataDir });
    await waitUntilLive(first);
    const registered = await post(`${first.url}/api/v1/auth/register`, USER);
    expect(registered.status).toBe(202);

    first.child.kill('SIGTERM');
    expect(await exitOf(first)).toBe(0);
    await expect(access(join(dataDir, 'zaplecze.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(first.output()).not.toMatch(/"level":(50|60)/);

    const second = await startServer({ DATA_DIR: dataDir });
    await waitUntilLive(second);
    const login = await post(`${second.url}/api/v1/auth/login`, { email: USER.email, password: USER.password });
    expect(login.status).toBe(200);
    const tokens = (await login.json()) as { accessToken: string };
    const me = await fetch(`${second.url}/api/v1/users/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: USER.email, name: USER.name });

    second.child.kill('SIGINT');
    expect(await exitOf(second)).toBe(0);
  }, 120_000);
});
