/** Tables of the files module, in its own Postgres schema. */
import { sql } from 'drizzle-orm';
import { bigint, check, index, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const files = pgSchema('files');

const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const bytes = (name: string) => bigint(name, { mode: 'number' });

/**
 * Stored files. A row is visible only while `status` is 'active'; deleting first marks it
 * 'deleting' (in the transaction that gives back the quota), then removes the blob, then the
 * row, so a crash in between leaves an invisible row that the cleanup job finishes.
 */
export const storedFiles = files.table(
  'files',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    /** The client's file name, cleaned; only ever used in Content-Disposition, never as a storage key. */
    name: text('name').notNull(),
    size: bytes('size').notNull(),
    /** Detected from the content (magic bytes), not taken from the client. */
    contentType: text('content_type').notNull(),
    sha256: text('sha256').notNull(),
    visibility: text('visibility', { enum: ['private', 'public'] })
      .notNull()
      .default('private'),
    storageKey: text('storage_key').notNull(),
    status: text('status', { enum: ['active', 'deleting'] })
      .notNull()
      .default('active'),
    createdAt: at('created_at').notNull(),
    deletedAt: at('deleted_at'),
  },
  (t) => [
    index('files_owner_idx').on(t.ownerId, t.id),
    index('files_storage_key_idx').on(t.storageKey),
    index('files_deleting_idx').on(t.deletedAt).where(sql`${t.status} = 'deleting'`),
    check('files_visibility_check', sql`${t.visibility} in ('private', 'public')`),
    check('files_status_check', sql`${t.status} in ('active', 'deleting')`),
    check('files_size_check', sql`${t.size} >= 0`),
  ],
);

/**
 * Bytes each user holds: committed files plus the declared length of unfinished resumable
 * uploads. Updated with a conditional increment, so concurrent uploads cannot pass the quota.
 */
export const usage = files.table(
  'usage',
  {
    ownerId: uuid('owner_id').primaryKey(),
    usedBytes: bytes('used_bytes').notNull().default(0),
  },
  (t) => [check('usage_used_check', sql`${t.usedBytes} >= 0`)],
);

/** Unfinished resumable (tus) uploads. The id becomes the file's id on completion. */
export const uploads = files.table(
  'uploads',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    name: text('name').notNull(),
    /** Upload-Length: the size the client announced (and the quota reserved). */
    length: bytes('length').notNull(),
    /** Bytes stored so far; the next PATCH must start here. */
    offset: bytes('offset').notNull().default(0),
    /** Upload-Metadata as sent, echoed on HEAD. */
    metadata: text('metadata').notNull().default(''),
    /** Set while a PATCH streams, so two PATCHes never append at once (also across instances). */
    busyUntil: at('busy_until'),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
  },
  (t) => [
    index('uploads_owner_idx').on(t.ownerId),
    index('uploads_expires_idx').on(t.expiresAt),
    check('uploads_offset_check', sql`${t.offset} >= 0 and ${t.offset} <= ${t.length}`),
  ],
);

export type FileRow = typeof storedFiles.$inferSelect;
export type UploadRow = typeof uploads.$inferSelect;
