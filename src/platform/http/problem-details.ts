/**
 * Renders every error as RFC 9457 problem details (`application/problem+json`). Expected
 * errors keep their code; validation errors list field paths; anything unexpected becomes a
 * bare 500 whose details go to the log with the request id, never to the client.
 */

import type { Socket } from 'node:net';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type FieldError, Internal, NotFound, ValidationFailed } from './errors.js';

/** The problem document, also published in the OpenAPI components as `Problem`. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED' }),
    instance: Type.String({ description: 'The request id' }),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', additionalProperties: true },
);

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

const pointer = (segment: unknown) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`;

/** Turns Ajv's errors into `{path, message}` with the offending field's JSON pointer. */
export function toFieldErrors(errors: AjvLikeError[], location?: string): FieldError[] {
  const prefix = location && location !== 'body' ? `/${location}` : '';
  // An `if` error only repeats the error of its `then` branch (length-gated patterns).
  return errors
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      let path = e.instancePath ?? '';
      let message = e.message ?? 'is invalid';
      if (e.keyword === 'required' && e.params?.missingProperty !== undefined) {
        path += pointer(e.params.missingProperty);
        message = 'is required';
      } else if (e.keyword === 'additionalProperties' && e.params?.additionalProperty !== undefined) {
        path += pointer(e.params.additionalProperty);
        message = 'is not a known property';
      }
      return { path: prefix + (path || '/'), message };
    });
}

// Fastify's own client errors, renamed to stable codes.
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

const TITLES: Record<number, string> = {
  400: 'Bad request',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  413: 'Payload too large',
  414: 'URI too long',
  415: 'Unsupported media type',
  429: 'Too many requests',
};

function toAppError(err: FastifyError & { validationContext?: string }): AppError {
  if (err instanceof AppError) return err;
  if (err.validation) {
    const errors = toFieldErrors(err.validation as AjvLikeError[], err.validationContext);
    const first = errors[0];
    const detail = first ? `${first.path} ${first.message}` : 'The request is invalid';
    return ValidationFailed(detail, { errors });
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      return new AppError('URI_TOO_LONG', 414, TITLES[414] as string, 'A path parameter is longer than this API accepts');
    }
    const code = FASTIFY_CODES[err.code] ?? (err.code?.startsWith('FST_') ? 'BAD_REQUEST' : (err.code ?? 'BAD_REQUEST'));
    // A SyntaxError from JSON.parse says which byte was wrong; that is fine to show.
    const headers: Record<string, string> = {};
    return new AppError(code, status, TITLES[status] ?? 'Bad request', err.message, {}, headers);
  }
  return Internal('The server failed to handle this request; it has been logged.');
}

/** Sends an AppError as problem details. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  // Extras first: an extension member must never replace a member RFC 9457 defines.
  const body = {
    ...error.extras,
    type: error.type,
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    instance: request.id,
  };
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.code(error.status).type('application/problem+json; charset=utf-8').serializer(JSON.stringify).send(body);
}

/** Installs the error and not-found handlers on the root instance. */
export function installProblemDetails(app: FastifyInstance) {
  app.addSchema(ProblemSchema);
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const error = toAppError(err);
    if (error.status >= 500) request.log.error({ err }, 'request failed');
    else if (!(err instanceof AppError) && error.status !== 404)
      request.log.info({ code: error.code, reason: err.message }, 'request rejected');
    return sendProblem(request, reply, error);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, NotFound(`No route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}

/**
 * Fastify answers a few requests before any route or error handler runs: a URL it cannot decode,
 * a path parameter over `maxParamLength` (414). This renders them as problems too
 * (the `frameworkErrors` option).
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const error = toAppError(err);
  if (error.status >= 500) request.log.error({ err }, 'request failed');
  return sendProblem(request, reply, error);
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'Request header fields too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'Request timeout'],
};

/**
 * Node's HTTP parser rejects some requests before Fastify sees them (malformed HTTP, headers over
 * the size limit, a request that took too long). The socket gets a problem document instead of
 * Node's bare 400 (the `clientErrorHandler` option).
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket) {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, title] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'BAD_REQUEST', 'Bad request'];
  const body = JSON.stringify({
    type: `/problems/${code.toLowerCase().replaceAll('_', '-')}`,
    title,
    status,
    detail: 'The HTTP request could not be read',
    code,
    instance: 'unknown',
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nConnection: close\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
