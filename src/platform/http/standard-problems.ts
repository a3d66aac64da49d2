/**
 * The errors every route can answer because of the platform, not its own logic: bad input (400),
 * a missing object (404) or an over-long path parameter (414) where there are path parameters, a
 * body that is too large or of the wrong type (413, 415), the rate limit (429). They are derived
 * from each route's options once, and written into the OpenAPI document, so the contract names
 * every status a client can meet. (401 and 403 come from the access guard, per route.)
 *
 * Only the document is completed: the routes' runtime schemas stay as declared, so no extra
 * serializer is compiled for these statuses (problems are serialized by the error handler).
 */
import type { RouteOptions } from 'fastify';

type Responses = Record<string, { description: string; content?: Record<string, unknown> }>;

interface RouteInputs {
  params: boolean;
  body: boolean;
  cursor: boolean;
  rateLimited: boolean;
}

const hasProperties = (schema: unknown) => Object.keys((schema as { properties?: object } | undefined)?.properties ?? {}).length > 0;

function statusesOf(inputs: RouteInputs): Record<string, string> {
  const statuses: Record<string, string> = {
    400: `VALIDATION_FAILED (each field in \`errors[]\`), MALFORMED_JSON or BAD_REQUEST${inputs.cursor ? '; INVALID_CURSOR' : ''}`,
  };
  if (inputs.params) {
    statuses[404] = 'NOT_FOUND: no such resource, or it is not the caller’s';
    statuses[414] = 'URI_TOO_LONG: a path parameter is longer than the API accepts';
  }
  if (inputs.body) {
    statuses[413] = 'PAYLOAD_TOO_LARGE: the body is over the size limit';
    statuses[415] = 'UNSUPPORTED_MEDIA_TYPE: the body is not of a type this operation reads';
  }
  if (inputs.rateLimited) statuses[429] = 'RATE_LIMITED: too many requests; retry after `Retry-After` seconds';
  return statuses;
}

/** Fastify's `/a/:id` as OpenAPI's `/a/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Collects each route's standard problems (an onRoute hook) and completes the document with them. */
export function createStandardProblems() {
  const byOperation = new Map<string, Record<string, string>>();
  return {
    onRoute(route: RouteOptions) {
      const schema = route.schema as { params?: unknown; body?: unknown; querystring?: unknown; hide?: boolean } | undefined;
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const rateLimit = (route.config as { rateLimit?: unknown } | undefined)?.rateLimit;
      const statuses = statusesOf({
        params: route.url.includes(':') || hasProperties(schema?.params),
        body: schema?.body !== undefined || methods.some((m) => ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].includes(m)),
        cursor: Boolean((schema?.querystring as { properties?: Record<string, unknown> } | undefined)?.properties?.cursor),
        rateLimited: rateLimit !== false,
      });
      for (const method of methods) byOperation.set(`${method.toLowerCase()} ${openApiPath(route.url)}`, statuses);
    },

    /** Adds each operation's standard problems that it does not declare itself. */
    complete(paths: Record<string, Record<string, unknown>>) {
      for (const [path, item] of Object.entries(paths)) {
        for (const [method, operation] of Object.entries(item)) {
          const statuses = byOperation.get(`${method} ${path}`);
          const op = operation as { responses?: Responses };
          if (!statuses || !op || typeof op !== 'object') continue;
          op.responses ??= {};
          for (const [status, description] of Object.entries(statuses)) {
            op.responses[status] ??= {
              description,
              content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
            };
          }
        }
      }
    },
  };
}
