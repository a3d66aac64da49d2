/**
 * Route schemas compile on first use (lazy-schemas.ts): requests must get exactly what eagerly
 * compiled schemas gave them, and every schema the app ships must still compile.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/test-app.js';
import { defaultSerializerBuilder, lazySchemas } from './lazy-schemas.js';
import { lengthGatedValidatorCompiler } from './length-gated-patterns.js';

const AJV = { customOptions: { removeAdditional: false, coerceTypes: 'array' as const, useDefaults: true, allErrors: true } };

type Builders = {
  buildValidator: ReturnType<typeof lengthGatedValidatorCompiler>;
  buildSerializer: ReturnType<typeof defaultSerializerBuilder>;
};

/** The app's builders, noting each schema they compile as `METHOD url part`. */
function countingBuilders(compiled: string[]): Builders {
  const validator = lengthGatedValidatorCompiler();
  const serializer = defaultSerializerBuilder();
  return {
    buildValidator: ((externals: never, options: never) => {
      const compile = validator(externals, options);
      return (route: Parameters<typeof compile>[0]) => {
        compiled.push(`${route.method} ${route.url} ${route.httpPart}`);
        return compile(route);
      };
    }) as unknown as Builders['buildValidator'],
    buildSerializer: ((externals: never, options: never) => {
      const compile = serializer(externals, options);
      return (route: Parameters<typeof compile>[0]) => {
        compiled.push(`${route.method} ${route.url} response ${route.httpStatus}`);
        return compile(route);
      };
    }) as unknown as Builders['buildSerializer'],
  };
}

/** A few routes whose answers depend on coercion, defaults, every error being reported, and serialization. */
async function exampleApp(compilersFactory?: Builders) {
  const app = Fastify({ ajv: AJV, ...(compilersFactory && { schemaController: { compilersFactory } }) });
  app.addSchema({ $id: 'Item', type: 'object', properties: { name: { type: 'string', maxLength: 20, pattern: '^[a-z]+$' } } });
  app.get(
    '/items',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', default: 20 }, tag: { type: 'array', items: { type: 'string' } } },
        },
        response: {
          200: { type: 'object', properties: { limit: { type: 'integer' }, tag: { type: 'array', items: { type: 'string' } } } },
        },
      },
    },
    (request) => ({ ...(request.query as object), secret: 'never serialized' }),
  );
  app.post(
    '/items',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name', 'count'],
          properties: { name: { $ref: 'Item#/properties/name' }, count: { type: 'integer' } },
        },
      },
    },
    (request) => request.body,
  );
  // A root value Ajv can only replace when Fastify hands it the parent (coerceTypes 'array').
  app.post('/tags', { schema: { body: { type: 'array', items: { type: 'string' } } } }, (request) => request.body);
  await app.ready();
  return app;
}

const REQUESTS = [
  { method: 'GET', url: '/items' },
  { method: 'GET', url: '/items?limit=5&tag=a' },
  { method: 'GET', url: '/items?limit=five' },
  { method: 'POST', url: '/items', payload: { name: 'pen', count: '3' } },
  { method: 'POST', url: '/items', payload: { name: 'Not Lowercase', count: 'x' } },
  { method: 'POST', url: '/items', payload: { name: 'a'.repeat(50) } },
  { method: 'POST', url: '/tags', payload: '"one"', headers: { 'content-type': 'application/json' } },
] as const;

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('route schemas compiled on first use', () => {
  it('when requests come, then each answer is the one eagerly compiled schemas give', async () => {
    const eager = await exampleApp(countingBuilders([]));
    const lazy = await exampleApp(lazySchemas(countingBuilders([])).compilersFactory);
    apps.push(eager, lazy);
    for (const request of REQUESTS) {
      const [expected, actual] = await Promise.all([eager.inject(request), lazy.inject(request)]);
      expect({ status: actual.statusCode, body: actual.json() }, `${request.method} ${request.url}`).toEqual({
        status: expected.statusCode,
        body: expected.json(),
      });
    }
    // The cases above are not vacuous: coercion, defaults, every error and serialization showed.
    expect((await lazy.inject(REQUESTS[0])).json()).toEqual({ limit: 20 });
    expect((await lazy.inject(REQUESTS[6])).json()).toEqual(['one']);
    expect((await lazy.inject(REQUESTS[4])).json().message).toMatch(/pattern.*integer|integer.*pattern/s);
  });

  it('when the app is ready, then nothing is compiled until a route is requested, and only that route', async () => {
    const compiled: string[] = [];
    const schemas = lazySchemas(countingBuilders(compiled));
    const app = await exampleApp(schemas.compilersFactory);
    apps.push(app);
    expect(compiled).toEqual([]);
    await app.inject({ method: 'GET', url: '/items' });
    expect(compiled.sort()).toEqual(['GET /items querystring', 'GET /items response 200']);
    await schemas.compileAll();
    expect(schemas.pending).toBe(0);
    expect(compiled).toContain('POST /tags body');
  });

  it('when a schema does not compile, then its route answers 500 and compileAll names it', async () => {
    const schemas = lazySchemas(countingBuilders([]));
    const app = Fastify({ ajv: AJV, schemaController: { compilersFactory: schemas.compilersFactory } });
    apps.push(app);
    app.post('/broken', { schema: { body: { type: 'object', properties: { a: { type: 'no-such-type' } } } } }, () => 'ok');
    await app.ready();
    expect((await app.inject({ method: 'POST', url: '/broken', payload: { a: 1 } })).statusCode).toBe(500);
    await expect(schemas.compileAll()).rejects.toThrow(/POST \/broken body/);
  });

  it('when the all-in-one app has started, then every route schema it ships compiles', async () => {
    const app = await createTestApp();
    try {
      await expect(app.compileSchemas()).resolves.toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
