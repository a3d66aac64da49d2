/**
 * The files module: streamed uploads to local disk or S3, downloads with Range and ETag,
 * private by default, public or shared through signed links, resumable uploads over tus.
 * Other modules use only what is exported here: the module factory, the contract for public
 * images (the catalog's product pictures) and the events.
 */
import { resolveJwtSecret } from '../../platform/auth/jwt-secret.js';
import { publicUrl } from '../../platform/config.js';
import { API_PREFIX } from '../../platform/http/api-prefix.js';
import { isUuid } from '../../platform/ids.js';
import type { ModuleFactory, Platform } from '../../platform/platform.js';
import { IdentityEvents } from '../identity/index.js';
import { isInlineSafe } from './content-type.js';
import { createFilesRepo } from './repo.js';
import { filesRoutes } from './routes.js';
import { createFilesService, type FilesLimits } from './service.js';
import { filesSettings } from './settings.js';
import { createLinkSigner } from './signed-links.js';
import { createTusService } from './tus-service.js';

export { type FileDeleted, FilesEventMap, FilesEvents } from './events.js';

/** How often the cleanup sweep runs (orphaned blobs, interrupted deletions, expired uploads). */
export const FILES_CLEANUP_INTERVAL_MS = 15 * 60 * 1000;

/** A public image as other modules may show it. */
export interface PublicImage {
  fileId: string;
  /** Absolute URL that serves the image inline to anyone. */
  url: string;
  contentType: string;
}

/**
 * What other modules may ask of files, without reading its tables. Written so it can become a
 * network call: ids in, plain data out.
 */
export interface FilesContract {
  /** True when the file exists, is public and is a raster image (shown inline). */
  isPublicImage(fileId: string): Promise<boolean>;
  /** The public URL of a file's content, shown inline (valid only while the file is public). */
  publicUrlOf(fileId: string): string;
  /** The public images among `fileIds`, in the order given; others are left out. */
  publicImages(fileIds: readonly string[]): Promise<PublicImage[]>;
}

/** Builds the files contract over the platform (e.g. for the catalog to check product images). */
export function createFilesContract(platform: Platform): FilesContract {
  const repo = createFilesRepo(platform.db);
  const base = publicUrl(platform.config);
  const publicUrlOf = (fileId: string) => `${base}${API_PREFIX}/files/${fileId}/content?disposition=inline`;
  const isShowable = (f: { visibility: string; contentType: string }) => f.visibility === 'public' && isInlineSafe(f.contentType);
  return {
    async isPublicImage(fileId) {
      if (!isUuid(fileId)) return false;
      const file = await repo.findActiveFile(fileId);
      return file !== undefined && isShowable(file);
    },
    publicUrlOf,
    async publicImages(fileIds) {
      const ids = [...new Set(fileIds)].filter(isUuid);
      const rows = new Map((await repo.findActiveFiles(ids)).filter(isShowable).map((f) => [f.id, f]));
      return fileIds.flatMap((id) => {
        const f = rows.get(id);
        return f ? [{ fileId: f.id, url: publicUrlOf(f.id), contentType: f.contentType }] : [];
      });
    },
  };
}

/** The limits of this module, from config. */
export function filesLimits(platform: Platform): FilesLimits {
  const config = filesSettings.read(platform.config);
  return {
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    quotaBytes: config.FILES_QUOTA_BYTES,
    allowedTypes: config.FILES_ALLOWED_TYPES,
    maxFilesPerRequest: 20,
    uploadTtlMs: config.FILES_UPLOAD_TTL,
  };
}

/** Builds the services of the module (also used by tests to run the cleanup sweep by hand). */
export function createFilesServices(platform: Platform) {
  const config = filesSettings.read(platform.config);
  const log = platform.log.child({ module: 'files' });
  const repo = createFilesRepo(platform.db);
  const limits = filesLimits(platform);
  const links = createLinkSigner({
    secret: config.FILE_LINK_SECRET,
    deriveFrom: () => resolveJwtSecret(config.JWT_SECRET, config.DATA_DIR),
  });
  const deps = { repo, storage: platform.storage, clock: platform.clock, log, limits };
  const files = createFilesService({ ...deps, relay: platform.relay, links });
  const tus = createTusService(deps);
  return {
    files,
    tus,
    limits,
    log,
    /** One full cleanup pass; returns what it removed. */
    async sweep() {
      const swept = await files.sweepFiles();
      const uploads = await tus.sweepUploads();
      return { ...swept, uploads };
    },
  };
}

/** The tus headers a browser client sends and reads on resumable uploads from an allowed origin. */
const TUS_CORS_HEADERS = {
  allowed: ['Tus-Resumable', 'Upload-Length', 'Upload-Offset', 'Upload-Metadata', 'Upload-Checksum'],
  exposed: ['Tus-Resumable', 'Tus-Version', 'Tus-Extension', 'Tus-Max-Size', 'Upload-Offset', 'Upload-Length', 'Upload-Expires'],
};

/** Plugs files into the app: routes, the cleanup job, and removal of a deleted account's files. */
export const filesModule: ModuleFactory = (platform) => {
  const { files, tus, limits, sweep } = createFilesServices(platform);
  return {
    name: 'files',
    corsHeaders: TUS_CORS_HEADERS,
    routes: async (app) => app.register(filesRoutes, { files, tus, limits, publicUrl: publicUrl(platform.config) }),
    jobs: [{ name: 'files.sweep', everyMs: FILES_CLEANUP_INTERVAL_MS, run: sweep }],
    subscribe: () => [
      platform.bus.subscribe('files', IdentityEvents.userDeleted, async (event) => {
        const { userId } = event.payload;
        await tus.dropOwnerUploads(userId);
        await files.deleteOwnerFiles(userId);
      }),
    ],
  };
};
