/**
 * The contract: OpenAPI 3.1 generated from the route schemas, at /openapi.json, with Swagger
 * UI at /docs. Bearer auth is a security scheme; each operation carries its `x-access`.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export async function installOpenApi(app: FastifyInstance, options: { version: string; description: string }) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Zaplecze API', version: options.version, description: options.description },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token from POST /api/v1/auth/login' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (document) => withProblemMediaType(('openapiObject' in document ? document.openapiObject : {}) as OpenApiDocument),
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

/** Error responses are sent as application/problem+json; route schemas can only say JSON. */
function withProblemMediaType<T extends OpenApiDocument>(document: T): T {
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const responses = (operation as { responses?: Record<string, { content?: Record<string, unknown> }> })?.responses ?? {};
      for (const [status, response] of Object.entries(responses)) {
        const json = response.content?.['application/json'];
        if (!/^[45]\d\d$/.test(status) || !response.content || json === undefined) continue;
        response.content = { 'application/problem+json': json };
      }
    }
  }
  return document;
}
