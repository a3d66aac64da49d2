/**
 * The gateway as users meet it: real Caddy with the committed, generated Caddyfile in front of
 * fake service instances (test/fake-upstreams.ts). Checks routing by ROUTES, the gateway's own
 * answers, forwarded headers, WebSockets with every subprotocol and the Origin, which requests are
 * retried on another instance, readiness-driven rotation and unbuffered uploads. Skipped when
 * Caddy is not installed.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Gateway, startGateway } from '../../scripts/split/gateway.js';
import { ROUTES, type ServiceName } from '../../src/deployments.js';
import { type FakeUpstream, startFakeUpstream } from '../fake-upstreams.js';

const hasCaddy = spawnSync('caddy', ['version']).status === 0;

interface Setup {
  gateway: Gateway;
  upstreams: Record<ServiceName, [FakeUpstream, FakeUpstream]>;
  close(): Promise<void>;
}

let site: string;

/** Two fake instances per service (or the given commerce addresses) behind a fresh Caddy: passive health state starts clean. */
async function setup(commerceExtra: string[] = []): Promise<Setup> {
  const upstreams = {} as Setup['upstreams'];
  for (const service of ['identity', 'commerce', 'realtime'] as const) {
    upstreams[service] = [await startFakeUpstream(`${service}-1`), await startFakeUpstream(`${service}-2`)];
  }
  const gateway = await startGateway({
    upstreams: {
      identity: upstreams.identity.map((u) => u.address),
      commerce: [...commerceExtra, ...upstreams.commerce.map((u) => u.address)],
      realtime: upstreams.realtime.map((u) => u.address),
    },
    site,
  });
  return {
    gateway,
    upstreams,
    async close() {
      await gateway.stop();
      await Promise.all(
        Object.values(upstreams)
          .flat()
          .map((u) => u.close()),
      );
    },
  };
}

function seenWithId(setup: Setup, id: string) {
  return Object.values(setup.upstreams)
    .flat()
    .flatMap((u) => u.seen.filter((s) => s.headers['x-request-id'] === id).map((s) => ({ ...s, upstream: u.name })));
}

async function send(url: string, init: RequestInit & { id?: string } = {}) {
  const id = init.id ?? randomUUID();
  const res = await fetch(url, { ...init, headers: { 'x-request-id': id, ...(init.headers as Record<string, string>) } });
  const text = await res.text();
  return { status: res.status, id, body: text, headers: res.headers, upstream: (/"upstream":"([^"]+)"/.exec(text) ?? [])[1] };
}

describe.skipIf(!hasCaddy)('gateway (Caddy with deploy/gateway/Caddyfile)', () => {
  let main: Setup;

  beforeAll(async () => {
    site = await mkdtemp(join(tmpdir(), 'zaplecze-gateway-site-'));
    await writeFile(join(site, 'openapi.json'), JSON.stringify({ openapi: '3.1.0', marker: 'exported at build' }));
    await mkdir(join(site, 'docs'));
    await writeFile(join(site, 'docs/index.html'), '<!doctype html><title>Swagger UI</title>');
    main = await setup();
  });

  afterAll(async () => {
    await main?.close();
    await rm(site, { recursive: true, force: true });
  });

  it('when a path starts with a prefix of ROUTES, then an instance of its service answers', async () => {
    for (const { prefix, service } of ROUTES) {
      const path = prefix.endsWith('/') ? `${prefix}probe` : prefix;
      const res = await send(`${main.gateway.url}${path}`);
      expect({ path, status: res.status, service: res.upstream?.replace(/-\d$/, '') }).toEqual({ path, status: 200, service });
    }
  });

  it('when no prefix matches, then commerce answers (the root redirect and 404s are its own)', async () => {
    for (const path of ['/', '/nope', '/api/v1/unknown']) {
      expect((await send(`${main.gateway.url}${path}`)).upstream).toMatch(/^commerce-/);
    }
  });

  it('when /health/*, /openapi.json or /docs/ is asked, then the gateway answers itself', async () => {
    const before = Object.values(main.upstreams)
      .flat()
      .reduce((n, u) => n + u.seen.length, 0);
    expect((await send(`${main.gateway.url}/health/live`)).status).toBe(200);
    expect((await send(`${main.gateway.url}/health/ready`)).status).toBe(200);
    const doc = await send(`${main.gateway.url}/openapi.json`);
    expect(doc.status).toBe(200);
    expect(JSON.parse(doc.body).marker).toBe('exported at build');
    const docs = await fetch(`${main.gateway.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.url).toBe(`${main.gateway.url}/docs/`);
    expect(await docs.text()).toContain('Swagger UI');
    expect(
      Object.values(main.upstreams)
        .flat()
        .reduce((n, u) => n + u.seen.length, 0),
    ).toBe(before);
  });

  it('when a request passes, then Host and the request id are kept and X-Forwarded-* are set', async () => {
    const res = await send(`${main.gateway.url}/api/v1/products`, { id: 'req-abc-123' });
    const [seen] = seenWithId(main, 'req-abc-123');
    if (!seen) throw new Error('the request did not reach a service');
    const host = new URL(main.gateway.url).host;
    expect(seen.headers.host).toBe(host);
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-forwarded-host']).toBe(host);
    expect(res.status).toBe(200);
  });

  it('when a client opens the chat WebSocket with two subprotocols and an Origin, then both and the Origin reach the service', async () => {
    const socket = new WebSocket(`${main.gateway.url.replace('http', 'ws')}/api/v1/chat/ws`, ['zaplecze.chat.v1', 'bearer.token-value'], {
      origin: 'https://app.example.com',
    });
    const [message] = await once(socket, 'message');
    expect(JSON.parse(String(message)).upstream).toMatch(/^realtime-/);
    expect(socket.protocol).toBe('bearer.token-value');
    socket.close();
    const handshake = main.upstreams.realtime.flatMap((u) => u.upgrades).at(-1);
    expect(handshake?.['sec-websocket-protocol']?.split(/,\s*/)).toEqual(['zaplecze.chat.v1', 'bearer.token-value']);
    expect(handshake?.origin).toBe('https://app.example.com');
    expect(handshake?.host).toBe(new URL(main.gateway.url).host);
  });

  it('when an upload streams in, then the service gets its first bytes before the client has sent the rest', async () => {
    const firstChunk = Buffer.alloc(64 * 1024, 1);
    let reached: () => void = () => {};
    const firstBytesArrived = new Promise<void>((resolve) => {
      reached = resolve;
    });
    for (const u of main.upstreams.commerce) {
      u.onBodyChunk = (url, bytes) => {
        if (url === '/api/v1/files' && bytes >= firstChunk.length) reached();
      };
    }
    const req = request(`${main.gateway.url}/api/v1/files`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' } });
    const response = once(req, 'response');
    req.write(firstChunk);
    // A buffering proxy would hold the body until the end, which the client sends only after this.
    await firstBytesArrived;
    req.end(Buffer.alloc(1024, 2));
    const [res] = await response;
    res.resume();
    expect(res.statusCode).toBe(200);
    for (const u of main.upstreams.commerce) u.onBodyChunk = undefined;
  });

  for (const sized of [false, true]) {
    it(`when a ${sized ? 'sized' : 'chunked'} download streams out, then the client gets its first bytes before the service has sent the rest`, async () => {
      const size = 256 * 1024;
      const req = request(`${main.gateway.url}/api/v1/files/held${sized ? `?size=${size}` : ''}`);
      req.end();
      const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
      let received = 0;
      const firstBytes = new Promise<void>((resolve) =>
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received >= 64 * 1024) resolve();
        }),
      );
      // A buffering proxy would hold the answer until the service finished it, which happens only after this.
      await firstBytes;
      for (const u of main.upstreams.commerce) for (const held of u.held.splice(0)) held.finish();
      await once(res, 'end');
      expect(received).toBe(sized ? size : 64 * 1024 + 1024);
    });
  }

  it('when an instance reports not ready, then it leaves the rotation and the other one serves', async () => {
    const [draining, other] = main.upstreams.commerce;
    draining.readyStatus = 503;
    try {
      // The active check runs every second: wait until ten requests in a row avoid the draining one.
      let inARow = 0;
      for (let i = 0; i < 400 && inARow < 10; i++) {
        const res = await send(`${main.gateway.url}/api/v1/products`);
        inARow = res.upstream === other.name ? inARow + 1 : 0;
        if (!inARow) await new Promise((r) => setTimeout(r, 50));
      }
      expect(inARow).toBe(10);
    } finally {
      draining.readyStatus = 200;
    }
  });

  describe('which requests are sent to a second instance', () => {
    const cases: { name: string; method: string; path: string; key: boolean; retried: boolean }[] = [
      { name: 'a GET', method: 'GET', path: '/api/v1/products', key: false, retried: true },
      // Caddy 2.6 cannot send a body twice: the client retries with its key (the service replays).
      { name: 'POST /orders with an Idempotency-Key', method: 'POST', path: '/api/v1/orders', key: true, retried: false },
      { name: 'POST /orders without an Idempotency-Key', method: 'POST', path: '/api/v1/orders', key: false, retried: false },
      { name: 'a DELETE', method: 'DELETE', path: '/api/v1/cart/items/x', key: false, retried: false },
    ];
    for (const c of cases) {
      it(`when ${c.name} fails mid-request, then it is ${c.retried ? 'answered by the other instance' : 'not sent again (502)'}`, async () => {
        const s = await setup();
        try {
          for (const u of s.upstreams.commerce) u.mode = 'drop-once';
          const res = await send(`${s.gateway.url}${c.path}`, {
            method: c.method,
            headers: { 'content-type': 'application/json', ...(c.key ? { 'idempotency-key': randomUUID() } : {}) },
            ...(c.method === 'POST' ? { body: JSON.stringify({ productId: 'p' }) } : {}),
          });
          const attempts = seenWithId(s, res.id);
          if (c.retried) {
            expect(res.status).toBe(200);
            expect(attempts.length).toBeGreaterThan(1);
          } else {
            expect(res.status).toBe(502);
            expect(attempts.length).toBe(1);
          }
        } finally {
          await s.close();
        }
      });
    }

    it('when an instance dies, then reads keep answering and writes fail at most once, not the healthy instance with them', async () => {
      const s = await setup();
      try {
        const [dead, alive] = s.upstreams.commerce;
        await dead.close();
        const reads: number[] = [];
        const writes: number[] = [];
        for (let i = 0; i < 10; i++) {
          writes.push(
            (
              await send(`${s.gateway.url}/api/v1/cart/items`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: '{}',
              })
            ).status,
          );
          reads.push((await send(`${s.gateway.url}/api/v1/products`)).status);
        }
        expect(reads).toEqual(Array(10).fill(200));
        expect(writes.filter((status) => status !== 200).length).toBeLessThanOrEqual(1);
        expect(alive.seen.length).toBeGreaterThanOrEqual(19);
      } finally {
        await s.close();
      }
    });
  });
});
