/** Wire shapes of the files API. They drive validation, serialization and the OpenAPI document. */
import { Type } from '@fastify/type-provider-typebox';
import { PageQuery } from '../../platform/http/pagination.js';

const closed = { additionalProperties: false } as const;

export const Visibility = Type.Union([Type.Literal('private'), Type.Literal('public')], {
  description: 'private: owner and admins (and signed links); public: anyone',
});

export const File = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String({ description: 'The uploaded file name, used in Content-Disposition' }),
    size: Type.Integer({ description: 'Bytes' }),
    contentType: Type.String({ description: 'Detected from the content, not from the client' }),
    sha256: Type.String({ description: 'Hex SHA-256 of the content; also its ETag' }),
    visibility: Visibility,
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'File' },
);

export const FileList = Type.Object({ items: Type.Array(Type.Ref('File')), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export const UploadResult = Type.Object({ items: Type.Array(Type.Ref('File'), { description: 'The stored files, in request order' }) });

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, closed);
export const ListQuery = Type.Object(PageQuery, closed);

export const ContentQuery = Type.Object(
  {
    disposition: Type.Optional(
      Type.Union([Type.Literal('attachment'), Type.Literal('inline')], {
        description: 'inline is honoured for raster images only; everything else downloads as an attachment',
      }),
    ),
    expires: Type.Optional(Type.Integer({ minimum: 0, maximum: 99_999_999_999, description: 'Signed link: expiry, Unix seconds' })),
    signature: Type.Optional(Type.String({ maxLength: 100, pattern: '^[A-Za-z0-9_-]*$', description: 'Signed link: HMAC' })),
  },
  closed,
);

export const PatchFileBody = Type.Object({ visibility: Visibility }, closed);

const WEEK_S = 7 * 24 * 3600;
export const CreateLinkBody = Type.Object(
  { expiresIn: Type.Integer({ minimum: 1, maximum: WEEK_S, default: 3600, description: 'Seconds the link stays valid (at most 7 days)' }) },
  closed,
);
export const Link = Type.Object({
  url: Type.String({ description: 'Works without a token until expiresAt' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

/**
 * The multipart body, for the OpenAPI document only: it has no `type`, so validation (which
 * sees no parsed body: the parts are streamed) accepts the request as it is.
 */
export const UploadBody = Type.Unsafe<unknown>({
  properties: { file: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'One or more file parts' } },
  required: ['file'],
});

export const Binary = Type.Unsafe<unknown>({ type: 'string', format: 'binary', description: 'The file content' });
