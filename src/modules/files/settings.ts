/**
 * Files settings: upload size, accepted media types, quota, resumable-upload expiry and the
 * key of signed links.
 * Composed into the app by src/settings.ts; the module reads them with `filesSettings.read(platform.config)`.
 */
import { bytes, type ConfigOf, defineSettings, duration, fail, secret } from '../../platform/config.js';

/** Every variable the files module reads. Order is the order of the docs. */
export const filesSettings = defineSettings('files', {
  MAX_UPLOAD_BYTES: {
    doc: 'Largest single uploaded file (multipart or resumable); larger ones get 413 and leave nothing stored.',
    example: '100mb',
    default: '100mb',
    parse: bytes,
  },
  FILES_ALLOWED_TYPES: {
    doc: 'Comma-separated media types accepted for upload, as detected from the content (magic bytes), e.g. image/*,application/pdf; */* accepts all.',
    example: 'image/png,image/jpeg,image/gif,image/webp,application/pdf',
    default: 'image/png,image/jpeg,image/gif,image/webp,image/avif,application/pdf,text/plain',
    parse: (raw) => {
      const types = raw
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean);
      const bad = types.find((t) => !/^([a-z0-9][\w.+-]*|\*)\/([a-z0-9][\w.+-]*|\*)$/.test(t));
      if (bad !== undefined) fail(`'${bad}' is not a media type or pattern like image/*`);
      return types.length ? types : fail('must list at least one media type');
    },
  },
  FILES_QUOTA_BYTES: {
    doc: 'Bytes of files (plus unfinished resumable uploads) each user may store; 0 means no quota.',
    example: '1gb',
    default: '1gb',
    parse: bytes,
  },
  FILES_UPLOAD_TTL: {
    doc: 'How long an unfinished resumable (tus) upload may sit idle before it expires and is removed.',
    example: '24h',
    default: '24h',
    parse: duration,
  },
  FILE_LINK_SECRET: {
    doc: 'HMAC key of signed file links, at least 32 characters. Unset: derived from the JWT secret with HKDF (rotating that secret voids the links).',
    example: 'another-48-random-bytes-from-openssl-rand-base64',
    parse: secret,
  },
});

/** The parsed files settings. */
export type FilesConfig = ConfigOf<typeof filesSettings>;
