/** HTTP routes of the files module: validate -> service -> wire shape. */
import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { caller } from '../../platform/http/access.js';
import { matchesIfNoneMatch } from '../../platform/http/etag.js';
import { CursorPart, decodeOptional, defineCursor, toPage } from '../../platform/http/pagination.js';
import { NoContent, problem } from '../../platform/http/route-helpers.js';
import { contentDisposition } from './content-disposition.js';
import { isInlineSafe } from './content-type.js';
import { MalformedMultipart, NotMultipart, RangeNotSatisfiable, TooManyFiles, UnexpectedField } from './errors.js';
import { decideRange } from './http-range.js';
import * as S from './schema.js';
import type { FilesLimits, FilesService, IncomingFile } from './service.js';
import type { FileRow } from './tables.js';
import { tusRoutes } from './tus-routes.js';
import type { TusService } from './tus-service.js';
import { toFileWire } from './wire.js';

export interface FilesRoutesOptions {
  files: FilesService;
  tus: TusService;
  limits: FilesLimits;
  /** Base of absolute links (PUBLIC_URL). */
  publicUrl: string;
}

const BUSBOY_ERRORS = /^(Multipart: |Unexpected end of (form|multipart)|Malformed part header)/;

/** The file parts of a multipart request, in order; any other part is refused. */
async function* multipartFiles(request: FastifyRequest): AsyncIterable<IncomingFile> {
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') throw UnexpectedField(`Only file parts are accepted; '${part.fieldname}' is a field`);
      yield { filename: part.filename, stream: part.file };
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') throw TooManyFiles('Too many files in one request');
    if (code === 'FST_FIELDS_LIMIT') throw UnexpectedField('Only file parts are accepted');
    // The parser's own complaints about the body (no boundary, cut off, bad part headers).
    if (err instanceof Error && BUSBOY_ERRORS.test(err.message)) throw MalformedMultipart(err.message);
    throw err;
  }
}

const fileCursor = defineCursor(Type.Tuple([CursorPart.uuid()]));
const CONTENT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox";

export const filesRoutes: FastifyPluginAsyncTypebox<FilesRoutesOptions> = async (app, { files, tus, limits, publicUrl }) => {
  app.addSchema(S.File);
  // Multipart is parsed only here; its limits are separate from the JSON bodyLimit.
  await app.register(multipart, {
    throwFileSizeLimit: false,
    limits: {
      // One byte over the limit is enough for the upload stream to notice and refuse.
      fileSize: limits.maxUploadBytes + 1,
      files: limits.maxFilesPerRequest,
      fields: 1,
      fieldSize: 1024,
      parts: limits.maxFilesPerRequest + 1,
      headerPairs: 50,
    },
  });
  await app.register(tusRoutes, { tus, limits });
  const tags = ['files'];

  app.post(
    '/files',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Upload one or more files (multipart/form-data)',
        description:
          `Each file part is streamed to storage while hashed. At most MAX_UPLOAD_BYTES per file (413 FILE_TOO_LARGE), ` +
          `types detected from the content must be allowed (415 FILE_TYPE_NOT_ALLOWED), and the per-user quota holds ` +
          `(413 QUOTA_EXCEEDED). All or nothing: a refused part leaves no file of the request behind.`,
        consumes: ['multipart/form-data'],
        body: S.UploadBody,
        response: {
          201: S.UploadResult,
          400: problem('NO_FILES, UNEXPECTED_FIELD or MALFORMED_MULTIPART'),
          413: problem('FILE_TOO_LARGE, TOO_MANY_FILES or QUOTA_EXCEEDED'),
          415: problem('NOT_MULTIPART or FILE_TYPE_NOT_ALLOWED (the bytes are not an allowed type)'),
        },
      },
      // The body schema only documents the parts, which are streamed and checked as they arrive;
      // not compiling it also keeps Ajv from warning at every start that it has no `type`.
      validatorCompiler: () => () => true,
    },
    async (request, reply) => {
      if (!request.isMultipart()) throw NotMultipart('Send the files as multipart/form-data');
      try {
        const stored = await files.upload(caller(request), multipartFiles(request));
        return reply
          .code(201)
          .header('location', `${app.prefix}/files/${(stored[0] as FileRow).id}`)
          .send({ items: stored.map(toFileWire) });
      } catch (err) {
        // The rest of the body is not wanted: answer, then close, rather than read it all.
        if (!request.raw.readableEnded) reply.header('connection', 'close');
        throw err;
      }
    },
  );

  app.get(
    '/files',
    {
      config: { access: 'user' },
      schema: { tags, summary: 'The caller’s files, newest first', querystring: S.ListQuery, response: { 200: S.FileList } },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const before = decodeOptional(fileCursor, cursor)?.[0];
      const rows = await files.listFiles(caller(request), before, limit + 1);
      return toPage(rows, limit, fileCursor, (f) => [f.id], toFileWire);
    },
  );

  app.get(
    '/files/:id',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Metadata of a file: own (or any, for admins), or public',
        params: S.IdParams,
        response: { 200: Type.Ref('File') },
      },
    },
    async (request) => toFileWire(await files.getReadable(request.params.id, request.user)),
  );

  app.get(
    '/files/:id/content',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'Download the content (Range, If-Range, If-None-Match; signed links work without a token)',
        description:
          'ETag is the quoted SHA-256. One byte range answers 206; several ranges answer the whole file (200); ' +
          'an unsatisfiable range answers 416 with Content-Range bytes */size. inline is honoured for raster images only.',
        params: S.IdParams,
        querystring: S.ContentQuery,
        response: {
          200: S.Binary,
          206: S.Binary,
          304: Type.Null({ description: 'Not modified (If-None-Match matched)' }),
          403: problem('INVALID_SIGNATURE or LINK_EXPIRED (signed links)'),
          404: problem('FILE_NOT_FOUND: no such file, or not the caller’s'),
          416: problem('RANGE_NOT_SATISFIABLE'),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { expires, signature, disposition } = request.query;
      const linked = expires !== undefined || signature !== undefined;
      const file = linked ? await files.getByLink(id, expires ?? 0, signature ?? '') : await files.getReadable(id, request.user);
      const etag = `"${file.sha256}"`;
      const lastModified = file.createdAt.toUTCString();
      const inline = disposition === 'inline' && isInlineSafe(file.contentType);
      reply
        .header('etag', etag)
        .header('last-modified', lastModified)
        .header('accept-ranges', 'bytes')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', CONTENT_CSP)
        .header('content-disposition', contentDisposition(inline ? 'inline' : 'attachment', file.name))
        .header('cache-control', file.visibility === 'public' && !linked ? 'public, max-age=300' : 'private, no-cache');
      if (matchesIfNoneMatch(request.headers['if-none-match'], etag)) return reply.code(304).send(null);

      const ifRange = request.headers['if-range'];
      const rangeApplies = ifRange === undefined || ifRange === etag || ifRange === lastModified;
      const decision = rangeApplies ? decideRange(request.headers.range, file.size) : { kind: 'ignore' as const };
      if (decision.kind === 'unsatisfiable') {
        throw RangeNotSatisfiable(`The file has ${file.size} bytes`, { size: file.size }, { 'content-range': `bytes */${file.size}` });
      }
      reply.type(file.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : file.contentType);
      // Fastify's HEAD route drains a stream payload: give it an empty one instead of the file.
      const head = request.method === 'HEAD';
      const nothing = () => Readable.from([]);
      if (decision.kind === 'partial') {
        const { start, end } = decision.range;
        reply
          .code(206)
          .header('content-range', `bytes ${start}-${end}/${file.size}`)
          .header('content-length', end - start + 1);
        return reply.send(head ? nothing() : await files.openContent(file, decision.range));
      }
      reply.header('content-length', file.size);
      return reply.send(head ? nothing() : await files.openContent(file));
    },
  );

  app.patch(
    '/files/:id',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Make a file public or private (owner or admin)',
        params: S.IdParams,
        body: S.PatchFileBody,
        response: { 200: Type.Ref('File') },
      },
    },
    async (request) => toFileWire(await files.setVisibility(request.params.id, caller(request), request.body.visibility)),
  );

  app.post(
    '/files/:id/links',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'Create an expiring signed download link (owner or admin)',
        params: S.IdParams,
        body: S.CreateLinkBody,
        response: { 201: S.Link },
      },
    },
    async (request, reply) => {
      const link = await files.createLink(request.params.id, caller(request), request.body.expiresIn);
      const url = `${publicUrl}${app.prefix}/files/${link.fileId}/content?expires=${link.expiresAt}&signature=${link.signature}`;
      return reply.code(201).send({ url, expiresAt: new Date(link.expiresAt * 1000).toISOString() });
    },
  );

  app.delete(
    '/files/:id',
    {
      config: { access: 'user' },
      schema: { tags, summary: 'Delete a file and its content (owner or admin)', params: S.IdParams, response: { 204: NoContent } },
    },
    async (request, reply) => {
      await files.deleteFile(request.params.id, caller(request));
      return reply.code(204).send(null);
    },
  );
};
