/**
 * Security headers and CORS. The CSP has no `upgrade-insecure-requests` and there is no HSTS:
 * both break Swagger UI at /docs over plain HTTP on a LAN address (loopback is exempt, so
 * local tests would not notice). Put HSTS on the TLS-terminating proxy instead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Runs helmet once against a recording response and returns the headers it sets. Our policy
 * is static, so computing it per request (as @fastify/helmet does, re-parsing the CSP every
 * time) cost a fifth of the CPU of a small request in bench/health.ts.
 */
export function computeSecurityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => {});
  return headers;
}

/**
 * The WebSocket origin of the public URL, for connect-src: CSP 'self' covers same-origin ws:
 * in Chromium and Firefox, but older Safari needs it spelled out.
 */
export function webSocketOrigin(publicUrl: string | undefined): string[] {
  if (!publicUrl) return [];
  const url = new URL(publicUrl);
  return [`${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`];
}

/** Headers a browser may send to, or read from, routes beyond the platform's (a module's protocol). */
export interface CorsHeaders {
  readonly allowed: readonly string[];
  readonly exposed: readonly string[];
}

/**
 * Sets the security headers on every response and registers the CORS allowlist (empty = same-origin
 * only). `corsHeaders`: what the modules add to the request and response headers browsers may use.
 */
export async function installSecurity(
  app: FastifyInstance,
  options: { corsOrigins: string[]; publicUrl?: string | undefined; corsHeaders?: readonly CorsHeaders[] },
) {
  const extra = options.corsHeaders ?? [];
  const headers = computeSecurityHeaders({
    hsts: false,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        connectSrc: ["'self'", ...webSocketOrigin(options.publicUrl)],
        fontSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        objectSrc: ["'none'"],
        // Swagger UI's bundle sets inline styles.
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
      },
    },
    crossOriginEmbedderPolicy: false,
    // Agrees with frame-ancestors 'none' for browsers that only know X-Frame-Options.
    frameguard: { action: 'deny' },
  });
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
  const allowed = new Set(options.corsOrigins);
  await app.register(cors, {
    origin: (origin, done) => done(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'If-Match',
      'If-None-Match',
      'If-Range',
      'Range',
      'Idempotency-Key',
      'X-Request-Id',
      ...new Set(extra.flatMap((h) => h.allowed)),
    ],
    // The names @fastify/rate-limit actually sends (the x- form, not the IETF draft's).
    exposedHeaders: [
      'ETag',
      'Location',
      'Retry-After',
      'X-Request-Id',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'Content-Disposition',
      'Content-Range',
      ...new Set(extra.flatMap((h) => h.exposed)),
    ],
    maxAge: 600,
  });
}
