/**
 * tus 1.0.0 resumable uploads at /files/tus: core, creation, termination, expiration and
 * checksum (sha1, sha256, md5). https://tus.io/protocols/resumable-upload
 * The upload id becomes the file id once the last byte arrives (GET /files/:id).
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { caller } from '../../platform/http/access.js';
import { receivedChunks } from '../../platform/http/received-body.js';
import { problem } from '../../platform/http/route-helpers.js';
import { ChecksumAlgorithmUnsupported, InvalidTusHeader, OffsetStreamExpected, TusVersionUnsupported } from './errors.js';
import type { FilesLimits } from './service.js';
import type { UploadRow } from './tables.js';
import type { PatchChecksum, TusService } from './tus-service.js';

const TUS_VERSION = '1.0.0';
const EXTENSIONS = 'creation,termination,expiration,checksum';
const CHECKSUMS = ['sha1', 'sha256', 'md5'] as const;
const OFFSET_STREAM = 'application/offset+octet-stream';

const closed = { additionalProperties: false } as const;
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, closed);
const Empty = Type.Null({ description: 'No content; the answer is in the headers' });

const integerHeader = (name: string, raw: string | string[] | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw InvalidTusHeader(`${name} must be a non-negative integer`);
  return n;
};

/** Upload-Metadata: comma-separated `key base64value` pairs (value optional). */
function parseMetadata(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  if (raw.length > 4096) throw InvalidTusHeader('Upload-Metadata is too long');
  for (const pair of raw.split(',')) {
    const match = /^\s*([^\s,]+)(?:\s+([A-Za-z0-9+/]*={0,2}))?\s*$/.exec(pair);
    if (!match) throw InvalidTusHeader('Upload-Metadata must be comma-separated "key base64value" pairs');
    out[match[1] as string] = Buffer.from(match[2] ?? '', 'base64').toString('utf8');
  }
  return out;
}

function parseChecksum(raw: string | undefined): PatchChecksum | undefined {
  if (raw === undefined) return undefined;
  const match = /^\s*(\S+)\s+([A-Za-z0-9+/]+={0,2})\s*$/.exec(raw);
  if (!match) throw InvalidTusHeader('Upload-Checksum must be "<algorithm> <base64 digest>"');
  const algorithm = (match[1] as string).toLowerCase();
  if (!(CHECKSUMS as readonly string[]).includes(algorithm)) {
    throw ChecksumAlgorithmUnsupported(`Supported: ${CHECKSUMS.join(', ')}`);
  }
  return { algorithm: algorithm as PatchChecksum['algorithm'], digest: Buffer.from(match[2] as string, 'base64') };
}

const uploadHeaders = (reply: FastifyReply, upload: UploadRow) =>
  reply
    .header('upload-offset', upload.offset)
    .header('upload-length', upload.length)
    .header('upload-expires', upload.expiresAt.toUTCString())
    .header('cache-control', 'no-store');

export const tusRoutes: FastifyPluginAsyncTypebox<{ tus: TusService; limits: FilesLimits }> = async (app, { tus, limits }) => {
  // The body of a PATCH is appended as it arrives, so it must reach the handler unread.
  app.addContentTypeParser(OFFSET_STREAM, (_request, _payload, done) => done(null, undefined));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('tus-resumable', TUS_VERSION);
  });
  app.addHook('preValidation', async (request) => {
    if (request.method === 'OPTIONS') return;
    if (request.headers['tus-resumable'] !== TUS_VERSION) {
      throw TusVersionUnsupported(`Send Tus-Resumable: ${TUS_VERSION}`, {}, { 'tus-version': TUS_VERSION });
    }
  });
  const tags = ['files'];

  app.options(
    '/files/tus',
    { config: { access: 'public' }, schema: { tags, summary: 'tus discovery: versions, extensions, limits', response: { 204: Empty } } },
    async (_request, reply) =>
      reply
        .code(204)
        .header('tus-version', TUS_VERSION)
        .header('tus-extension', EXTENSIONS)
        .header('tus-max-size', limits.maxUploadBytes)
        .header('tus-checksum-algorithm', CHECKSUMS.join(','))
        .send(null),
  );

  app.post(
    '/files/tus',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'tus creation: Upload-Length (required), Upload-Metadata filename/filetype; reserves the quota',
        response: {
          201: Empty,
          400: problem('INVALID_TUS_HEADER, VALIDATION_FAILED'),
          412: problem('TUS_VERSION_UNSUPPORTED: send Tus-Resumable: 1.0.0'),
          413: problem('FILE_TOO_LARGE or QUOTA_EXCEEDED (Upload-Length)'),
          415: problem('FILE_TYPE_NOT_ALLOWED'),
        },
      },
    },
    async (request, reply) => {
      if (request.headers['upload-defer-length'] !== undefined) throw InvalidTusHeader('Upload-Defer-Length is not supported');
      const length = integerHeader('Upload-Length', request.headers['upload-length']);
      if (length === undefined) throw InvalidTusHeader('Upload-Length is required');
      const rawMetadata = request.headers['upload-metadata'] as string | undefined;
      const metadata = parseMetadata(rawMetadata);
      const upload = await tus.create(caller(request), {
        length,
        filename: metadata.filename ?? metadata.name,
        metadata: rawMetadata ?? '',
      });
      return reply
        .code(201)
        .header('location', `${app.prefix}/files/tus/${upload.id}`)
        .header('upload-expires', upload.expiresAt.toUTCString())
        .send(null);
    },
  );

  app.head(
    '/files/tus/:id',
    {
      // A tus client's resume starts here, so it belongs in the document (Fastify's implicit HEAD of a GET does not).
      config: { access: 'user', swagger: { exposeHeadRoute: true } },
      schema: {
        tags,
        summary: 'tus: how many bytes arrived (Upload-Offset)',
        params: IdParams,
        response: {
          200: Empty,
          404: problem('UPLOAD_NOT_FOUND'),
          410: problem('UPLOAD_EXPIRED'),
          412: problem('TUS_VERSION_UNSUPPORTED: send Tus-Resumable: 1.0.0'),
        },
      },
    },
    async (request, reply) => {
      const upload = await tus.status(caller(request), request.params.id);
      uploadHeaders(reply, upload);
      if (upload.metadata) reply.header('upload-metadata', upload.metadata);
      // No payload at all: send(null) would serialize "null" and add its JSON type and length.
      return reply.code(200).send(undefined as unknown as null);
    },
  );

  app.patch(
    '/files/tus/:id',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'tus: append bytes at Upload-Offset (application/offset+octet-stream); 409 on a wrong offset',
        consumes: [OFFSET_STREAM],
        params: IdParams,
        response: {
          204: Empty,
          400: problem('INVALID_TUS_HEADER, UPLOAD_LENGTH_EXCEEDED or CHECKSUM_ALGORITHM_UNSUPPORTED'),
          404: problem('UPLOAD_NOT_FOUND'),
          409: problem('UPLOAD_OFFSET_MISMATCH: Upload-Offset is not where the upload is'),
          410: problem('UPLOAD_EXPIRED'),
          412: problem('TUS_VERSION_UNSUPPORTED: send Tus-Resumable: 1.0.0'),
          413: problem('FILE_TOO_LARGE or QUOTA_EXCEEDED'),
          415: problem('OFFSET_STREAM_EXPECTED or FILE_TYPE_NOT_ALLOWED'),
          423: problem('UPLOAD_BUSY: another request is appending'),
          460: problem('CHECKSUM_MISMATCH: Upload-Checksum does not match the bytes'),
        },
      },
    },
    async (request, reply) => {
      if (request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== OFFSET_STREAM) {
        throw OffsetStreamExpected(`Send the bytes as ${OFFSET_STREAM}`);
      }
      const offset = integerHeader('Upload-Offset', request.headers['upload-offset']);
      if (offset === undefined) throw InvalidTusHeader('Upload-Offset is required');
      const outcome = await tus.append(caller(request), request.params.id, {
        offset,
        contentLength: integerHeader('Content-Length', request.headers['content-length']),
        checksum: parseChecksum(request.headers['upload-checksum'] as string | undefined),
        // Every byte received is kept when the client goes away mid-body: it resumes from there.
        source: receivedChunks(request.raw),
      });
      uploadHeaders(reply, outcome.upload);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/files/tus/:id',
    {
      config: { access: 'user' },
      schema: {
        tags,
        summary: 'tus termination: drop the upload and its bytes',
        params: IdParams,
        response: { 204: Empty, 404: problem('UPLOAD_NOT_FOUND'), 412: problem('TUS_VERSION_UNSUPPORTED: send Tus-Resumable: 1.0.0') },
      },
    },
    async (request, reply) => {
      await tus.terminate(caller(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
};
