/** SQL of the files module. Plain objects out; every function takes the database or a transaction. */
import { and, asc, desc, eq, inArray, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import { enqueueEvents, type OutgoingEvent } from '../../platform/bus/outbox.js';
import type { EventPayloads } from '../../platform/bus/typed-events.js';
import type { Executor } from '../../platform/db/database.js';
import type { FilesEventType } from './events.js';
import { type FileRow, storedFiles, type UploadRow, uploads, usage } from './tables.js';

export type NewFile = typeof storedFiles.$inferInsert;
export type NewUpload = typeof uploads.$inferInsert;

/** Who is asking: owner-or-admin checks go into the WHERE clause, never after the fetch. */
export interface Viewer {
  id: string;
  role: 'user' | 'admin';
}

/** The files repository over `db`, with `transaction` to run several calls atomically. */
export type FilesRepo = ReturnType<typeof queries> & {
  /** Runs `work` in one transaction; every query inside must use the repo it is given. */
  transaction<T>(work: (repo: FilesRepo) => Promise<T>): Promise<T>;
};

export function createFilesRepo(db: Executor): FilesRepo {
  return { ...queries(db), transaction: (work) => db.transaction((tx) => work(createFilesRepo(tx))) };
}

const active = eq(storedFiles.status, 'active');
const ownedBy = (viewer: Viewer): SQL | undefined => (viewer.role === 'admin' ? undefined : eq(storedFiles.ownerId, viewer.id));

function queries(db: Executor) {
  return {
    /** Writes events to the platform outbox, in this transaction (published after it commits). */
    enqueueEvents: (events: OutgoingEvent<Pick<EventPayloads, FilesEventType>>[]) => enqueueEvents(db, events),

    async insertFiles(rows: NewFile[]): Promise<FileRow[]> {
      return db.insert(storedFiles).values(rows).returning();
    },

    /**
     * Adds `bytes` to the owner's usage unless that would pass `quota` (0 = no quota); one
     * statement, so concurrent callers serialise on the row. Returns false when refused.
     */
    async reserveBytes(ownerId: string, bytes: number, quota: number): Promise<boolean> {
      if (quota > 0 && bytes > quota) return false;
      const rows = await db
        .insert(usage)
        .values({ ownerId, usedBytes: bytes })
        .onConflictDoUpdate({
          target: usage.ownerId,
          set: { usedBytes: sql`${usage.usedBytes} + excluded.used_bytes` },
          ...(quota > 0 ? { setWhere: sql`${usage.usedBytes} + excluded.used_bytes <= ${quota}` } : {}),
        })
        .returning({ usedBytes: usage.usedBytes });
      return rows.length === 1;
    },

    async releaseBytes(ownerId: string, bytes: number): Promise<void> {
      if (bytes <= 0) return;
      await db
        .update(usage)
        .set({ usedBytes: sql`greatest(${usage.usedBytes} - ${bytes}, 0)` })
        .where(eq(usage.ownerId, ownerId));
    },

    async usedBytes(ownerId: string): Promise<number> {
      const [row] = await db.select({ usedBytes: usage.usedBytes }).from(usage).where(eq(usage.ownerId, ownerId)).limit(1);
      return row?.usedBytes ?? 0;
    },

    /** An active file the viewer may read: public, or theirs, or any when admin. Anonymous: public only. */
    async findReadableFile(id: string, viewer: Viewer | null): Promise<FileRow | undefined> {
      const access = viewer
        ? viewer.role === 'admin'
          ? undefined
          : or(eq(storedFiles.visibility, 'public'), eq(storedFiles.ownerId, viewer.id))
        : eq(storedFiles.visibility, 'public');
      const [row] = await db
        .select()
        .from(storedFiles)
        .where(and(eq(storedFiles.id, id), active, access))
        .limit(1);
      return row;
    },

    /** An active file the viewer owns (or any, for an admin). */
    async findOwnedFile(id: string, viewer: Viewer): Promise<FileRow | undefined> {
      const [row] = await db
        .select()
        .from(storedFiles)
        .where(and(eq(storedFiles.id, id), active, ownedBy(viewer)))
        .limit(1);
      return row;
    },

    /** An active file by id, whoever owns it (signed links and other modules' contract). */
    async findActiveFile(id: string): Promise<FileRow | undefined> {
      const [row] = await db
        .select()
        .from(storedFiles)
        .where(and(eq(storedFiles.id, id), active))
        .limit(1);
      return row;
    },

    async findActiveFiles(ids: string[]): Promise<FileRow[]> {
      if (!ids.length) return [];
      return db
        .select()
        .from(storedFiles)
        .where(and(inArray(storedFiles.id, ids), active));
    },

    /** Newest first; `before` is the id of the last file of the previous page (UUIDv7 sorts by time). */
    async listFiles(ownerId: string, before: string | undefined, limit: number): Promise<FileRow[]> {
      return db
        .select()
        .from(storedFiles)
        .where(and(eq(storedFiles.ownerId, ownerId), active, before ? lt(storedFiles.id, before) : undefined))
        .orderBy(desc(storedFiles.id))
        .limit(limit);
    },

    async setVisibility(id: string, viewer: Viewer, visibility: 'private' | 'public'): Promise<FileRow | undefined> {
      const [row] = await db
        .update(storedFiles)
        .set({ visibility })
        .where(and(eq(storedFiles.id, id), active, ownedBy(viewer)))
        .returning();
      return row;
    },

    /** Hides the file (status 'deleting'); returns it when this call did so. */
    async markDeleting(id: string, viewer: Viewer | null, now: Date): Promise<FileRow | undefined> {
      const [row] = await db
        .update(storedFiles)
        .set({ status: 'deleting', deletedAt: now })
        .where(and(eq(storedFiles.id, id), active, viewer ? ownedBy(viewer) : undefined))
        .returning();
      return row;
    },

    /** Hides every active file of `ownerId`; returns them. */
    async markOwnerDeleting(ownerId: string, now: Date): Promise<FileRow[]> {
      return db
        .update(storedFiles)
        .set({ status: 'deleting', deletedAt: now })
        .where(and(eq(storedFiles.ownerId, ownerId), active))
        .returning();
    },

    async deleteFileRow(id: string): Promise<void> {
      await db.delete(storedFiles).where(eq(storedFiles.id, id));
    },

    /** Rows a crash left half-deleted, oldest first. */
    async listDeleting(before: Date, limit: number): Promise<FileRow[]> {
      return db
        .select()
        .from(storedFiles)
        .where(and(eq(storedFiles.status, 'deleting'), lte(storedFiles.deletedAt, before)))
        .orderBy(asc(storedFiles.deletedAt))
        .limit(limit);
    },

    /** Which of `keys` some row (in any status) still points at. */
    async referencedKeys(keys: string[]): Promise<Set<string>> {
      if (!keys.length) return new Set();
      const rows = await db.select({ key: storedFiles.storageKey }).from(storedFiles).where(inArray(storedFiles.storageKey, keys));
      return new Set(rows.map((r) => r.key));
    },

    async insertUpload(upload: NewUpload): Promise<UploadRow> {
      const [row] = await db.insert(uploads).values(upload).returning();
      return row as UploadRow;
    },

    async findUpload(id: string, ownerId: string): Promise<UploadRow | undefined> {
      const [row] = await db
        .select()
        .from(uploads)
        .where(and(eq(uploads.id, id), eq(uploads.ownerId, ownerId)))
        .limit(1);
      return row;
    },

    /**
     * Claims the upload for one PATCH at `offset`: succeeds only when the offset matches and no
     * other PATCH holds it (or its hold lapsed). Returns the row when claimed.
     */
    async claimUpload(id: string, ownerId: string, offset: number, now: Date, holdUntil: Date): Promise<UploadRow | undefined> {
      const [row] = await db
        .update(uploads)
        .set({ busyUntil: holdUntil })
        .where(
          and(
            eq(uploads.id, id),
            eq(uploads.ownerId, ownerId),
            eq(uploads.offset, offset),
            or(sql`${uploads.busyUntil} is null`, lt(uploads.busyUntil, now)),
          ),
        )
        .returning();
      return row;
    },

    /** Records the new offset, releases the claim and pushes the expiry back. */
    async releaseUpload(id: string, offset: number, expiresAt: Date): Promise<UploadRow | undefined> {
      const [row] = await db.update(uploads).set({ offset, busyUntil: null, expiresAt }).where(eq(uploads.id, id)).returning();
      return row;
    },

    async deleteUpload(id: string): Promise<UploadRow | undefined> {
      const [row] = await db.delete(uploads).where(eq(uploads.id, id)).returning();
      return row;
    },

    async listExpiredUploads(now: Date, limit: number): Promise<UploadRow[]> {
      return db
        .select()
        .from(uploads)
        .where(and(lt(uploads.expiresAt, now), or(sql`${uploads.busyUntil} is null`, lt(uploads.busyUntil, now))))
        .orderBy(asc(uploads.expiresAt))
        .limit(limit);
    },

    async ownerUploads(ownerId: string): Promise<UploadRow[]> {
      return db.select().from(uploads).where(eq(uploads.ownerId, ownerId));
    },

    /** Test and cleanup helper: how many rows of either table exist for `ownerId`. */
    async countRows(ownerId: string): Promise<{ files: number; uploads: number }> {
      const [f] = await db.select({ n: sql<number>`count(*)::int` }).from(storedFiles).where(eq(storedFiles.ownerId, ownerId));
      const [u] = await db.select({ n: sql<number>`count(*)::int` }).from(uploads).where(eq(uploads.ownerId, ownerId));
      return { files: f?.n ?? 0, uploads: u?.n ?? 0 };
    },
  };
}
