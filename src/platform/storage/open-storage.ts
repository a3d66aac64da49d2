/** Chooses the blob storage adapter from config: S3 when S3_BUCKET is set, else local disk. */
import { join } from 'node:path';
import type { PlatformConfig } from '../config.js';
import type { BlobStorage } from './blob-storage.js';
import { createLocalStorage } from './local-storage.js';

/**
 * Opens the configured blob storage: an S3-compatible bucket, or DATA_DIR/files on local disk.
 * The S3 adapter (and the AWS SDK) is loaded only when a bucket is configured.
 */
export async function openBlobStorage(config: PlatformConfig): Promise<BlobStorage> {
  if (!config.S3_BUCKET) return createLocalStorage(join(config.DATA_DIR, 'files'));
  const { createS3Storage } = await import('./s3-storage.js');
  return createS3Storage({
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE ?? config.S3_ENDPOINT !== undefined,
    credentials:
      config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
        : undefined,
  });
}
