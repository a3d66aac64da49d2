/**
 * The split on this machine's PostgreSQL, Redis and NATS: identity, realtime, worker and two
 * commerce instances (`node dist/main.js`) behind Caddy, started by scripts/split/topology.ts on a
 * fresh, empty database (so seven processes migrate it at once). Checks through the gateway what
 * the split promises; the long journey is test/process/split-journey.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GATEWAY_SITE, type Split, startSplit } from '../../scripts/split/topology.js';
import { adminQuery, withDatabase } from '../test-databases.js';

const { TEST_DATABASE_URL, TEST_REDIS_URL, TEST_NATS_URL } = process.env;
const hasCaddy = spawnSync('caddy', ['version']).status === 0;
const PASSWORD = 'a-perfectly-fine-passphrase-for-the-split';

describe.runIf(TEST_DATABASE_URL && TEST_REDIS_URL && TEST_NATS_URL && hasCaddy)('split behind the gateway (process)', () => {
  const database = `zaplecze_split_${randomBytes(6).toString('hex')}`;
  const lines: string[] = [];
  let split: Split | undefined;

  beforeAll(async () => {
    await adminQuery(`create database ${database}`);
    split = await startSplit({
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_URL: withDatabase(TEST_DATABASE_URL as string, database),
        REDIS_URL: TEST_REDIS_URL,
        NATS_URL: TEST_NATS_URL,
        LOG_LEVEL: 'warn',
      },
      replicas: { identity: 1, commerce: 2, realtime: 1, worker: 1 },
      namespace: true,
      log: (line) => lines.push(line),
    }).catch((err) => {
      throw new Error(`${err instanceof Error ? err.message : err}\n${lines.slice(-40).join('\n')}`);
    });
  }, 240_000);

  afterAll(async () => {
    const stream = split?.env.NATS_STREAM;
    await split?.stop();
    if (stream && TEST_NATS_URL) {
      const nc = await connect({ servers: TEST_NATS_URL });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
      await nc.close();
    }
    await adminQuery(`drop database if exists ${database} with (force)`);
  }, 120_000);

  const url = (path: string) => `${split?.url}${path}`;

  async function login(): Promise<string> {
    const email = `split-${randomBytes(4).toString('hex')}@test.local`;
    const registered = await fetch(url('/api/v1/auth/register'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, name: 'Split Test' }),
    });
    expect(registered.status).toBe(202);
    const res = await fetch(url('/api/v1/auth/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { accessToken: string }).accessToken;
  }

  it('when routes of each service are called through the gateway, then each answers', async () => {
    const token = await login();
    const me = await fetch(url('/api/v1/users/me'), { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    const products = await fetch(url('/api/v1/products'));
    expect(products.status).toBe(200);
    const cart = await fetch(url('/api/v1/cart'), { headers: { authorization: `Bearer ${token}` } });
    expect(cart.status).toBe(200);
    const rooms = await fetch(url('/api/v1/chat/public-rooms'), { headers: { authorization: `Bearer ${token}` } });
    expect(rooms.status).toBe(200);
    expect((await fetch(url('/asyncapi.json'))).status).toBe(200);
  });

  it('when a chat socket is opened through the gateway with the token as second subprotocol, then it opens; from a foreign Origin it is refused', async () => {
    const token = await login();
    const wsUrl = `${url('/api/v1/chat/ws').replace('http', 'ws')}`;
    const socket = new WebSocket(wsUrl, ['zaplecze.chat.v1', `bearer.${token}`], { origin: split?.url });
    await once(socket, 'open');
    expect(socket.protocol).toBe('zaplecze.chat.v1');
    socket.close();
    await once(socket, 'close');

    const foreign = new WebSocket(wsUrl, ['zaplecze.chat.v1', `bearer.${token}`], { origin: 'https://elsewhere.example' });
    const [, response] = (await once(foreign, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(403);
    // Ending a socket that never opened emits an error; it is expected here.
    foreign.on('error', () => {});
    foreign.terminate();
  });

  it('when /openapi.json and /docs/ are asked, then the gateway serves the exported all-in-one document and Swagger UI', async () => {
    const res = await fetch(url('/openapi.json'));
    expect(res.status).toBe(200);
    const served = (await res.json()) as { paths: Record<string, unknown> };
    expect(served).toEqual(JSON.parse(await readFile(`${GATEWAY_SITE}/openapi.json`, 'utf8')));
    for (const path of ['/api/v1/auth/login', '/api/v1/orders', '/api/v1/chat/rooms']) expect(Object.keys(served.paths)).toContain(path);
    const docs = await fetch(url('/docs'));
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });

  it('when one of two commerce instances is killed, then GETs through the gateway keep answering', async () => {
    const victim = split?.instance('commerce-1');
    victim?.kill('SIGKILL');
    await victim?.exited;
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await fetch(url('/api/v1/products'))).status);
    expect(statuses).toEqual(Array(20).fill(200));
  });
});
