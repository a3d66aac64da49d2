import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { Type } from '@fastify/type-provider-typebox';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../test/test-app.js';
import { DEPLOYMENTS } from '../deployments.js';
import { createLogger } from './log.js';
import type { ModuleFactory } from './platform.js';
import { installGracefulShutdown } from './shutdown.js';

/** A test-only module with a route that waits until the test lets it finish. */
function slowModule() {
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => {
    entered = resolve;
  });
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const factory: ModuleFactory = () => ({
    name: 'slow-test',
    routes: async (app) => {
      app.get('/slow', { config: { access: 'public' }, schema: { response: { 200: Type.Object({ done: Type.Boolean() }) } } }, async () => {
        entered();
        await Promise.race([finished, new Promise((r) => setTimeout(r, 300))]);
        return { done: true };
      });
      app.get('/hang', { config: { access: 'public' } }, async () => {
        entered();
        await finished;
        return { done: true };
      });
    },
  });
  return { factory, inHandler, finish };
}

const refusesConnections = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });

function harness(t: TestApp) {
  const signals = new EventEmitter();
  let exited!: (code: number) => void;
  const exitCode = new Promise<number>((resolve) => {
    exited = resolve;
  });
  const exit = vi.fn((code: number) => exited(code));
  const drain = vi.fn();
  const closePlatform = vi.fn(async () => {});
  return { signals, exit, exitCode, drain, closePlatform, t };
}

describe('graceful shutdown', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function listeningApp(module: ModuleFactory) {
    t = await createTestApp({ modules: [...DEPLOYMENTS['all-in-one'].modules, module] });
    await t.http.listen({ port: 0, host: '127.0.0.1' });
    const address = t.http.server.address();
    if (!address || typeof address === 'string') throw new Error('not listening');
    return { t, port: address.port };
  }

  it('when SIGTERM arrives during a request, then the request completes with 200, new connections are refused, the platform closes and the exit code is 0', async () => {
    const slow = slowModule();
    const { t, port } = await listeningApp(slow.factory);
    const h = harness(t);
    installGracefulShutdown(
      {
        drain: h.drain,
        closeServer: () => t.http.close(),
        forceCloseConnections: () => t.http.server.closeAllConnections(),
        closePlatform: h.closePlatform,
      },
      { timeoutMs: 10_000, log: createLogger('silent'), signals: h.signals, exit: h.exit },
    );

    const inFlight = fetch(`http://127.0.0.1:${port}/api/v1/slow`);
    await slow.inHandler;
    h.signals.emit('SIGTERM');

    expect(h.drain).toHaveBeenCalledOnce();
    // Closing starts at once but not synchronously; once the listener is gone, connects are refused.
    await vi.waitFor(() => expect(t.http.server.listening).toBe(false), { timeout: 5_000, interval: 5 });
    expect(await refusesConnections(port)).toBe('ECONNREFUSED');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });

    expect(await h.exitCode).toBe(0);
    expect(h.closePlatform).toHaveBeenCalledOnce();
    expect(h.exit).toHaveBeenCalledOnce();
    expect(h.drain.mock.invocationCallOrder[0]).toBeLessThan(h.closePlatform.mock.invocationCallOrder[0] ?? 0);
  });

  it('when SHUTDOWN_DELAY is set, then after SIGTERM readiness is 503 while new connections are still served, and the listener closes after the delay', async () => {
    const slow = slowModule();
    const { t, port } = await listeningApp(slow.factory);
    const h = harness(t);
    installGracefulShutdown(
      {
        drain: () => {
          h.drain();
          t.drain();
        },
        closeServer: () => t.http.close(),
        forceCloseConnections: () => t.http.server.closeAllConnections(),
        closePlatform: h.closePlatform,
      },
      { timeoutMs: 10_000, delayMs: 1_500, log: createLogger('silent'), signals: h.signals, exit: h.exit },
    );

    h.signals.emit('SIGTERM');
    expect(h.drain).toHaveBeenCalledOnce();
    // A gateway's health check sees 503 and stops routing here; a request it already routed still gets an answer.
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`, { headers: { connection: 'close' } });
    expect(ready.status).toBe(503);
    const live = await fetch(`http://127.0.0.1:${port}/health/live`, { headers: { connection: 'close' } });
    expect(live.status).toBe(200);
    expect(h.closePlatform).not.toHaveBeenCalled();

    expect(await h.exitCode).toBe(0);
    expect(t.http.server.listening).toBe(false);
    expect(h.closePlatform).toHaveBeenCalledOnce();
  });

  it('when a request outlives the timeout, then its connection is dropped and shutdown still finishes', async () => {
    const slow = slowModule();
    const { t, port } = await listeningApp(slow.factory);
    const h = harness(t);
    installGracefulShutdown(
      {
        drain: h.drain,
        closeServer: () => t.http.close(),
        forceCloseConnections: () => t.http.server.closeAllConnections(),
        closePlatform: h.closePlatform,
      },
      { timeoutMs: 200, log: createLogger('silent'), signals: h.signals, exit: h.exit },
    );

    const hanging = fetch(`http://127.0.0.1:${port}/api/v1/hang`).then(
      (r) => r.status,
      () => 'dropped',
    );
    await slow.inHandler;
    h.signals.emit('SIGTERM');
    expect(await hanging).toBe('dropped');
    slow.finish();
    expect(await h.exitCode).toBe(0);
    expect(h.closePlatform).toHaveBeenCalledOnce();
  });

  it('when a second signal arrives during shutdown, then the process exits 1 at once', async () => {
    const signals = new EventEmitter();
    const exit = vi.fn();
    let releaseServer!: () => void;
    const serverClosed = new Promise<void>((resolve) => {
      releaseServer = resolve;
    });
    installGracefulShutdown(
      { drain: vi.fn(), closeServer: () => serverClosed, forceCloseConnections: vi.fn(), closePlatform: async () => {} },
      { timeoutMs: 10_000, log: createLogger('silent'), signals, exit },
    );
    signals.emit('SIGINT');
    expect(exit).not.toHaveBeenCalled();
    signals.emit('SIGINT');
    expect(exit).toHaveBeenCalledWith(1);
    releaseServer();
  });

  it('when closing the platform fails, then the exit code is 1', async () => {
    const signals = new EventEmitter();
    const exit = vi.fn();
    const shutdown = installGracefulShutdown(
      {
        drain: vi.fn(),
        closeServer: async () => {},
        forceCloseConnections: vi.fn(),
        closePlatform: async () => {
          throw new Error('disk gone');
        },
      },
      { timeoutMs: 10_000, log: createLogger('silent'), signals, exit },
    );
    signals.emit('SIGTERM');
    await shutdown('again'); // the same shutdown, not a second one
    expect(exit).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('when shutdown is called by code and then a signal arrives, then the signal forces exit 1', async () => {
    const signals = new EventEmitter();
    const exit = vi.fn();
    let releaseServer!: () => void;
    const serverClosed = new Promise<void>((resolve) => {
      releaseServer = resolve;
    });
    const shutdown = installGracefulShutdown(
      { drain: vi.fn(), closeServer: () => serverClosed, forceCloseConnections: vi.fn(), closePlatform: async () => {} },
      { timeoutMs: 10_000, log: createLogger('silent'), signals, exit },
    );
    const done = shutdown('test');
    signals.emit('SIGTERM');
    expect(exit).toHaveBeenCalledWith(1);
    releaseServer();
    await done;
  });
});
