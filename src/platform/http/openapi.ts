/**
 * The contract: OpenAPI 3.1 generated from the route schemas, at /openapi.json, with Swagger
 * UI at /docs. Bearer auth is a security scheme; each operation carries its `x-access`.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { API_PREFIX } from './api-prefix.js';
import { createStandardProblems } from './standard-problems.js';

export async function installOpenApi(app: FastifyInstance, options: { version: string; description: string }) {
  const standardProblems = createStandardProblems();
  app.addHook('onRoute', standardProblems.onRoute);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Zaplecze API', version: options.version, description: options.description },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: `Access token from POST ${API_PREFIX}/auth/login`,
          },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (document) => {
      const openapi = withProblemMediaType(('openapiObject' in document ? document.openapiObject : {}) as OpenApiDocument);
      standardProblems.complete((openapi.paths ?? {}) as Record<string, Record<string, unknown>>);
      return withDefaultsOptional(openapi);
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiConfig: { persistAuthorization: true, deepLinking: true },
    // Our helmet CSP already allows what the UI needs; the plugin's own CSP would add
    // upgrade-insecure-requests back.
    staticCSP: false,
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => app.swagger());
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, unknown> }> } | unknown>>;
}

const isProblemRef = (media: unknown) => /(^|\/)Problem#?$/.test(String((media as { schema?: { $ref?: unknown } }).schema?.$ref ?? ''));

/**
 * Problem answers are sent as application/problem+json; route schemas can only say JSON. An error
 * status with a body of its own (the readiness report of a 503) stays JSON.
 */
function withProblemMediaType<T extends OpenApiDocument>(document: T): T {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const responses = (operation as { responses?: Record<string, { content?: Record<string, unknown> }> })?.responses ?? {};
      for (const [status, response] of Object.entries(responses)) {
        const json = response.content?.['application/json'];
        if (!/^[45]\d\d$/.test(status) || !response.content || json === undefined || !isProblemRef(json)) continue;
        response.content = { 'application/problem+json': json };
      }
    }
  }
  return document;
}

interface Parameter {
  required?: boolean;
  schema?: { default?: unknown };
}
interface ObjectSchema {
  properties?: Record<string, { default?: unknown }>;
  required?: string[];
}

/**
 * A parameter or body field with a default is filled in by the server when absent, so it is not
 * required of the client: generated clients must not force `limit` or `days` on their callers.
 */
function withDefaultsOptional<T extends OpenApiDocument>(document: T): T {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const op = operation as { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: ObjectSchema }> } };
      for (const parameter of op?.parameters ?? []) if (parameter.schema?.default !== undefined) parameter.required = false;
      for (const media of Object.values(op?.requestBody?.content ?? {})) {
        const schema = media.schema;
        if (!schema?.required || !schema.properties) continue;
        schema.required = schema.required.filter((name) => schema.properties?.[name]?.default === undefined);
        if (!schema.required.length) delete schema.required;
      }
    }
  }
  return document;
}
