/**
 * Tests never reach the outside network: any TCP connection to a non-loopback address fails
 * loudly. Local fakes and this machine's services (127.0.0.1) stay reachable.
 */
import net from 'node:net';

const LOOPBACK = /^(127\.|::1$|localhost$|::ffff:127\.)/;
const PATCHED = Symbol.for('zaplecze.blockNetwork');

// Workers run many files in one process (isolate: false) and this file runs before each: patch once.
const patched = net.Socket.prototype as net.Socket & { [PATCHED]?: true };
if (!patched[PATCHED]) blockOutboundConnect();

function blockOutboundConnect() {
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function connect(this: net.Socket, ...args: unknown[]) {
    const first = args[0] as { host?: string; path?: string; port?: number } | number | string;
    const host = typeof first === 'object' && first !== null ? first.host : typeof args[1] === 'string' ? args[1] : undefined;
    const isPipe = typeof first === 'object' && first !== null && first.path !== undefined;
    if (!isPipe && host !== undefined && !LOOPBACK.test(host)) {
      throw new Error(`Tests may not connect to ${host}: the outbound network is blocked (test/block-network.ts)`);
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  Object.defineProperty(net.Socket.prototype, PATCHED, { value: true });
}
