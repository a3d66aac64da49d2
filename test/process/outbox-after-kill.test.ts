/**
 * The transactional outbox across a crash: an event committed while it could not be published
 * (NATS down) survives a SIGKILL of the server and is published by the next start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMemoryLedger } from '../../src/platform/bus/delivery-ledger.js';
import type { BusEvent } from '../../src/platform/bus/event-bus.js';
import { createNatsBus } from '../../src/platform/bus/nats-bus.js';
import { createLogger } from '../../src/platform/log.js';
import { natsServerInstalled, type PrivateNatsServer, startPrivateNatsServer } from '../nats-server.js';
import { exitOf, killAllServers, startServer, waitUntilLive } from './server-process.js';

const ADMIN = { email: 'admin@test.local', password: 'admin-password-for-tests' };
const STREAM = 'KILLTEST';

const post = (url: string, body: unknown, token?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

describe.runIf(process.env.TEST_NATS_URL && natsServerInstalled)('server process: outbox across a SIGKILL', () => {
  let dataDir: string;
  let nats: PrivateNatsServer;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'zaplecze-proc-outbox-'));
    nats = await startPrivateNatsServer();
  });

  afterAll(async () => {
    await killAllServers();
    await nats?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when an event is committed while NATS is down and the server is SIGKILLed, then the next start publishes it', async () => {
    const env = { DATA_DIR: dataDir, NATS_URL: nats.url, NATS_STREAM: STREAM, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password };
    const first = await startServer(env);
    await waitUntilLive(first, 150_000); // a first start migrates a fresh embedded database
    const doomed = { email: 'doomed@test.local', password: 'a-perfectly-fine-passphrase' };
    const registered = await post(`${first.url}/api/v1/auth/register`, { ...doomed, name: 'Doomed' });
    expect(registered.status).toBe(202); // the same answer for new and taken addresses: no id in it
    const userId = ((await (await post(`${first.url}/api/v1/auth/login`, doomed)).json()) as { user: { id: string } }).user.id;
    const admin = (await (await post(`${first.url}/api/v1/auth/login`, ADMIN)).json()) as { accessToken: string };

    await nats.kill();
    await vi.waitFor(async () => expect((await fetch(`${first.url}/health/ready`)).status).toBe(503), { timeout: 15_000, interval: 100 });
    const deleted = await fetch(`${first.url}/api/v1/admin/users/${userId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    expect(deleted.status).toBe(204); // committed, with its user.deleted row in the outbox
    first.child.kill('SIGKILL');
    expect(await exitOf(first)).toBe('SIGKILL');

    await nats.start();
    const observer = await createNatsBus({
      url: nats.url,
      stream: STREAM,
      connectionName: 'observer',
      ledger: createMemoryLedger(),
      policy: { maxDeliveries: 3, retryBackoffMs: 10 },
      log: createLogger('silent'),
    });
    try {
      const seen: BusEvent[] = [];
      observer.subscribe('observer', 'user.deleted', (e) => void seen.push(e));
      const second = await startServer(env);
      await waitUntilLive(second, 150_000);
      await vi.waitFor(() => expect(seen.map((e) => e.payload)).toEqual([{ userId }]), { timeout: 30_000, interval: 100 });
      second.child.kill('SIGTERM');
      expect(await exitOf(second)).toBe(0);
    } finally {
      await observer.close();
    }
  }, 400_000);
});
