/**
 * Liveness and readiness for orchestrators. `live` only says the process answers; `ready`
 * checks the database (and every other registered dependency) and answers 503 while draining.
 */
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';

export type ReadinessCheck = () => Promise<void>;

const Health = Type.Object({ status: Type.String(), checks: Type.Optional(Type.Record(Type.String(), Type.String())) });

export function installHealth(app: FastifyInstance, options: { checks: Record<string, ReadinessCheck>; isDraining: () => boolean }) {
  const config = { access: 'public' as const, rateLimit: false as const };
  app.get('/health/live', { config, schema: { tags: ['health'], response: { 200: Health } } }, async () => ({ status: 'ok' }));
  app.get('/health/ready', { config, schema: { tags: ['health'], response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    const checks: Record<string, string> = {};
    let ok = !options.isDraining();
    if (!ok) checks.server = 'draining';
    await Promise.all(
      Object.entries(options.checks).map(async ([name, check]) => {
        try {
          await check();
          checks[name] = 'ok';
        } catch {
          ok = false;
          checks[name] = 'failing';
        }
      }),
    );
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
  });
}
